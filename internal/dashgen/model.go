package dashgen

import "github.com/grafana-tools/sdk"

// Grafana dashboard JSON (schemaVersion 39). github.com/grafana-tools/sdk's
// Board and Panel drop stat/gauge fieldConfig, know no gauge or bargauge
// panel, and marshal unset slices (rows, links, variable options) as null, so
// the model is ours; its Time type is used as it is. Every
// slice is initialised so nothing marshals as null where Grafana expects an
// array; the only null is a threshold base step's value, which Grafana
// requires.

// Dashboard is one dashboard file.
type Dashboard struct {
	UID           string      `json:"uid"`
	Title         string      `json:"title"`
	Description   string      `json:"description"`
	Tags          []string    `json:"tags"`
	Timezone      string      `json:"timezone"`
	Editable      bool        `json:"editable"`
	GraphTooltip  int         `json:"graphTooltip"`
	Refresh       string      `json:"refresh"`
	SchemaVersion int         `json:"schemaVersion"`
	Version       int         `json:"version"`
	Time          sdk.Time    `json:"time"`
	Timepicker    Timepicker  `json:"timepicker"`
	Templating    Templating  `json:"templating"`
	Annotations   Annotations `json:"annotations"`
	Links         []Link      `json:"links"`
	Panels        []Panel     `json:"panels"`
}

// Templating holds the dashboard variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Variable is a datasource or query variable.
type Variable struct {
	Name       string         `json:"name"`
	Label      string         `json:"label"`
	Type       string         `json:"type"`
	Query      string         `json:"query"`
	Datasource *DataSourceRef `json:"datasource,omitempty"`
	Refresh    int            `json:"refresh"`
	Regex      string         `json:"regex"`
	Multi      bool           `json:"multi"`
	IncludeAll bool           `json:"includeAll"`
	AllValue   string         `json:"allValue,omitempty"`
	Sort       int            `json:"sort"`
	Hide       int            `json:"hide"`
	Current    Current        `json:"current"`
	Options    []Option       `json:"options"`
}

// Current is a variable's selected value.
type Current struct {
	Text  string `json:"text"`
	Value string `json:"value"`
}

// Option is a variable option (left empty: Grafana fills them).
type Option struct {
	Text     string `json:"text"`
	Value    string `json:"value"`
	Selected bool   `json:"selected"`
}

// Annotations holds the built-in annotation list.
type Annotations struct {
	List []Annotation `json:"list"`
}

// Annotation is Grafana's built-in "Annotations & Alerts" entry.
type Annotation struct {
	BuiltIn    int           `json:"builtIn"`
	Datasource DataSourceRef `json:"datasource"`
	Enable     bool          `json:"enable"`
	Hide       bool          `json:"hide"`
	IconColor  string        `json:"iconColor"`
	Name       string        `json:"name"`
	Type       string        `json:"type"`
}

// Timepicker is the time picker's settings. The SDK's type also emits
// time_options, which the current schema no longer knows.
type Timepicker struct {
	RefreshIntervals []string `json:"refresh_intervals"`
}

// Link points to the other golive dashboards. The schema requires every
// field, including the ones a "dashboards" link does not use.
type Link struct {
	Title       string   `json:"title"`
	Type        string   `json:"type"`
	Tags        []string `json:"tags"`
	AsDropdown  bool     `json:"asDropdown"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
	Icon        string   `json:"icon"`
	TargetBlank bool     `json:"targetBlank"`
	Tooltip     string   `json:"tooltip"`
	URL         string   `json:"url"`
}

// DataSourceRef names a data source.
type DataSourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// GridPos places a panel on the 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// Panel is a stat, gauge, bargauge or timeseries panel.
type Panel struct {
	ID          int           `json:"id"`
	Type        string        `json:"type"`
	Title       string        `json:"title"`
	Description string        `json:"description"`
	GridPos     GridPos       `json:"gridPos"`
	Datasource  DataSourceRef `json:"datasource"`
	Targets     []Target      `json:"targets"`
	FieldConfig FieldConfig   `json:"fieldConfig"`
	Options     Options       `json:"options"`

	// alerts names the alerts whose levels the panel's threshold steps
	// show; tests compare them.
	alerts []string
}

// Target is one PromQL query.
type Target struct {
	RefID        string        `json:"refId"`
	Datasource   DataSourceRef `json:"datasource"`
	Expr         string        `json:"expr"`
	LegendFormat string        `json:"legendFormat"`
	Instant      bool          `json:"instant"`
	Range        bool          `json:"range"`
}

// FieldConfig holds the panel's field defaults.
type FieldConfig struct {
	Defaults  FieldDefaults `json:"defaults"`
	Overrides []Override    `json:"overrides"`
}

// Override is unused but must be an array.
type Override struct{}

// FieldDefaults are unit, range, colours and thresholds.
type FieldDefaults struct {
	Unit       string       `json:"unit"`
	Min        *float64     `json:"min,omitempty"`
	Max        *float64     `json:"max,omitempty"`
	Decimals   *int         `json:"decimals,omitempty"`
	Color      FieldColor   `json:"color"`
	Thresholds Thresholds   `json:"thresholds"`
	Mappings   []Mapping    `json:"mappings"`
	Custom     *CustomField `json:"custom,omitempty"`
}

// FieldColor picks the colour scheme.
type FieldColor struct {
	Mode string `json:"mode"`
}

// Thresholds are the colour steps; a step applies from its value up (>=).
type Thresholds struct {
	Mode  string `json:"mode"`
	Steps []Step `json:"steps"`
}

// Step is one threshold step; the first has a null value (minus infinity).
type Step struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

// Mapping maps values to text (up 1/0 to UP/DOWN).
type Mapping struct {
	Type    string                  `json:"type"`
	Options map[string]MappingValue `json:"options"`
}

// MappingValue is the text and colour a value maps to.
type MappingValue struct {
	Text  string `json:"text"`
	Color string `json:"color"`
	Index int    `json:"index"`
}

// CustomField holds timeseries drawing options.
type CustomField struct {
	DrawStyle       string          `json:"drawStyle"`
	LineWidth       int             `json:"lineWidth"`
	FillOpacity     int             `json:"fillOpacity"`
	ShowPoints      string          `json:"showPoints"`
	SpanNulls       bool            `json:"spanNulls"`
	ThresholdsStyle ThresholdsStyle `json:"thresholdsStyle"`
}

// ThresholdsStyle draws thresholds as lines (or not at all).
type ThresholdsStyle struct {
	Mode string `json:"mode"`
}

// Options are the panel options; fields a type does not use are omitted.
type Options struct {
	ReduceOptions        *ReduceOptions `json:"reduceOptions,omitempty"`
	ColorMode            string         `json:"colorMode,omitempty"`
	GraphMode            string         `json:"graphMode,omitempty"`
	TextMode             string         `json:"textMode,omitempty"`
	JustifyMode          string         `json:"justifyMode,omitempty"`
	Orientation          string         `json:"orientation,omitempty"`
	DisplayMode          string         `json:"displayMode,omitempty"`
	ShowUnfilled         *bool          `json:"showUnfilled,omitempty"`
	ShowThresholdMarkers *bool          `json:"showThresholdMarkers,omitempty"`
	ShowThresholdLabels  *bool          `json:"showThresholdLabels,omitempty"`
	Legend               *Legend        `json:"legend,omitempty"`
	Tooltip              *Tooltip       `json:"tooltip,omitempty"`
}

// ReduceOptions reduce a series to one value (stat, gauge, bargauge).
type ReduceOptions struct {
	Calcs  []string `json:"calcs"`
	Fields string   `json:"fields"`
	Values bool     `json:"values"`
}

// Legend options of a timeseries panel.
type Legend struct {
	DisplayMode string   `json:"displayMode"`
	Placement   string   `json:"placement"`
	ShowLegend  bool     `json:"showLegend"`
	Calcs       []string `json:"calcs"`
}

// Tooltip options of a timeseries panel.
type Tooltip struct {
	Mode string `json:"mode"`
	Sort string `json:"sort"`
}
