// Type-checks Grafana dashboard JSON files against @grafana/schema.
//
//   node check.mjs [dir ...]     check every dir/*.json (default: ..)
//   node check.mjs --self-test   testdata/valid must pass; each
//                                testdata/invalid/*.json must fail with the
//                                message in its .expect file
//
// Each dashboard becomes an in-memory TypeScript module:
//   export const dashboard = <json> satisfies Jsonify<Dashboard>;
// plus, for every panel whose plugin publishes a schema (stat, gauge,
// bargauge, timeseries, table, text), one more check of that panel against
// its plugin's Options and custom FieldConfig. Nothing is written to disk.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const schemaPath = (plugin, cfg) => `@grafana/schema/dist/esm/raw/composable/${plugin}/panelcfg/x/${cfg}_types.gen`;

// Panel plugins with a published schema: where their Options live and the
// type of fieldConfig.defaults.custom.
const panelSchemas = {
  stat: { alias: 'Stat', module: schemaPath('stat', 'StatPanelCfg'), custom: 'NoCustom' },
  gauge: { alias: 'Gauge', module: schemaPath('gauge', 'GaugePanelCfg'), custom: 'NoCustom' },
  bargauge: { alias: 'BarGauge', module: schemaPath('bargauge', 'BarGaugePanelCfg'), custom: 'NoCustom' },
  timeseries: { alias: 'TimeSeries', module: schemaPath('timeseries', 'TimeSeriesPanelCfg'), custom: 'TimeSeriesFieldConfig' },
  table: { alias: 'Table', module: schemaPath('table', 'TablePanelCfg'), custom: 'TableFieldOptions' },
  text: { alias: 'Text', module: schemaPath('text', 'TextPanelCfg'), custom: 'NoCustom' },
};

const compilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts'],
  types: [],
};

// walkPanels yields every panel, including those inside collapsed rows.
function* walkPanels(panels) {
  for (const p of panels ?? []) {
    yield p;
    if (p && Array.isArray(p.panels)) yield* walkPanels(p.panels);
  }
}

// generate returns the TypeScript source for one dashboard and, per line,
// what that line belongs to (for error messages).
function generate(dashboard) {
  const out = [
    "import type { Dashboard, TableFieldOptions } from '@grafana/schema';",
    "import type { Jsonify, TypedPanel, NoCustom } from '../types';",
  ];
  for (const s of Object.values(panelSchemas)) {
    const extra = s.alias === 'TimeSeries' ? ', FieldConfig as TimeSeriesFieldConfig' : '';
    out.push(`import type { Options as ${s.alias}Options${extra} } from '${s.module}';`);
  }
  const where = out.map(() => 'imports');
  const emit = (context, code) => {
    for (const line of code.split('\n')) {
      out.push(line);
      where.push(context);
    }
  };
  emit('dashboard', `export const dashboard = ${JSON.stringify(dashboard, null, 2)} satisfies Jsonify<Dashboard>;`);
  let n = 0;
  for (const panel of walkPanels(dashboard.panels)) {
    const s = panel && panelSchemas[panel.type];
    if (!s) continue;
    const context = `panel ${JSON.stringify(panel.title ?? '')} (id ${panel.id}, type ${panel.type})`;
    emit(context, `export const panel${n++} = ${JSON.stringify(panel, null, 2)} satisfies TypedPanel<${s.alias}Options, ${s.custom}>;`);
  }
  return { source: out.join('\n') + '\n', where };
}

// check type-checks the given JSON files and returns one message per problem.
function check(files) {
  const problems = [];
  const virtual = new Map(); // generated path -> { source, where, json }
  for (const file of files) {
    let dashboard;
    try {
      dashboard = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      problems.push(`${file}: ${err.message}`);
      continue;
    }
    const name = path.join(here, 'generated', `${path.basename(file, '.json')}.ts`);
    virtual.set(name, { ...generate(dashboard), json: file });
  }
  if (virtual.size === 0) return problems;

  const host = ts.createCompilerHost(compilerOptions);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (f, lang, ...rest) =>
    virtual.has(f) ? ts.createSourceFile(f, virtual.get(f).source, lang) : getSourceFile.call(host, f, lang, ...rest);
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => (virtual.has(f) ? virtual.get(f).source : readFile.call(host, f));

  const program = ts.createProgram([...virtual.keys()], compilerOptions, host);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n    ');
    const v = d.file && virtual.get(d.file.fileName);
    if (!v) {
      problems.push(`${d.file ? d.file.fileName : 'typescript'}: ${message}`);
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const text = v.source.split('\n')[line].trim();
    problems.push(`${v.json}: ${v.where[line]}: ${message}\n    at: ${text}`);
  }
  return problems;
}

function jsonFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f));
}

function selfTest() {
  let failed = false;
  const valid = jsonFiles(path.join(here, 'testdata', 'valid'));
  const problems = check(valid);
  if (valid.length === 0 || problems.length > 0) {
    console.error(`self-test: valid dashboards must pass:\n${problems.join('\n')}`);
    failed = true;
  }
  for (const file of jsonFiles(path.join(here, 'testdata', 'invalid'))) {
    const expect = fs.readFileSync(file.replace(/\.json$/, '.expect'), 'utf8').trim();
    const got = check([file]).join('\n');
    if (!got.includes(expect)) {
      console.error(`self-test: ${file} must fail with "${expect}", got:\n${got || '(no error)'}`);
      failed = true;
    }
  }
  if (!failed) console.log(`self-test: ok (${valid.length} valid, invalid ones rejected)`);
  return failed ? 1 : 0;
}

function main(args) {
  if (args[0] === '--self-test') return selfTest();
  const dirs = args.length > 0 ? args : [path.join(here, '..')];
  const files = dirs.flatMap(jsonFiles);
  if (files.length === 0) {
    console.error(`no dashboards (*.json) in ${dirs.join(', ')}`);
    return 1;
  }
  const problems = check(files);
  if (problems.length > 0) {
    console.error(`${problems.length} schema problem(s):\n${problems.join('\n')}`);
    return 1;
  }
  console.log(`${files.length} dashboard(s) match @grafana/schema`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
