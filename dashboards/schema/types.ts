// Types the generated checks use: @grafana/schema's types as they look in
// dashboard JSON.
import type { FieldConfig, FieldConfigSource, Panel } from '@grafana/schema';

// Jsonify turns a schema type into the type of its JSON form. The schema
// declares many values as TypeScript enums (BigValueColorMode,
// ThresholdsMode, ...); JSON holds their plain values, which TypeScript
// does not accept as enum members. `${E}` of a string enum is the union of
// its values, so "value" is accepted where BigValueColorMode.Value is meant
// and "rainbow" is still rejected. Numeric enums become number.
export type Jsonify<T> = T extends string
  ? `${T}`
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends ReadonlyArray<infer U>
        ? Array<Jsonify<U>>
        : T extends object
          ? { [K in keyof T]: Jsonify<T[K]> }
          : T;

// TypedPanel is a panel whose options and custom field config are checked
// against the panel plugin's own schema. Options may be partial (Grafana
// fills in its defaults), but every option given must exist and have the
// right type, and unknown options are errors.
export type TypedPanel<Options, Custom> = Omit<Jsonify<Panel>, 'options' | 'fieldConfig'> & {
  options?: Partial<Jsonify<Options>>;
  fieldConfig?: Omit<Jsonify<FieldConfigSource>, 'defaults'> & {
    defaults: Omit<Jsonify<FieldConfig>, 'custom'> & { custom?: Partial<Jsonify<Custom>> };
  };
};

// NoCustom is the custom field config of panels that define none.
export type NoCustom = Record<string, never>;
