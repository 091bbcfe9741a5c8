package dashgen

import (
	"github.com/grafana-tools/sdk"

	"github.com/golive-ops/golive/internal/rulegen"
)

// datasource is the $datasource variable every panel and query uses.
func datasource() DataSourceRef { return DataSourceRef{Type: "prometheus", UID: "${datasource}"} }

func ptr[T any](v T) *T { return &v }

// query is one PromQL target; legend "" uses Grafana's default.
type query struct {
	expr, legend string
}

func targets(instant bool, qs ...query) []Target {
	out := make([]Target, 0, len(qs))
	for i, q := range qs {
		out = append(out, Target{
			RefID:        string(rune('A' + i)),
			Datasource:   datasource(),
			Expr:         q.expr,
			LegendFormat: q.legend,
			Instant:      instant,
			Range:        !instant,
		})
	}
	return out
}

func panel(typ, title, description, unit string, steps []Step, instant bool, qs ...query) Panel {
	if steps == nil {
		steps = []Step{{Color: "green"}}
	}
	return Panel{
		Type:        typ,
		Title:       title,
		Description: description,
		Datasource:  datasource(),
		Targets:     targets(instant, qs...),
		FieldConfig: FieldConfig{
			Defaults: FieldDefaults{
				Unit:       unit,
				Color:      FieldColor{Mode: "thresholds"},
				Thresholds: Thresholds{Mode: "absolute", Steps: steps},
				Mappings:   []Mapping{},
			},
			Overrides: []Override{},
		},
	}
}

func reduce() *ReduceOptions {
	return &ReduceOptions{Calcs: []string{"lastNotNull"}, Fields: "", Values: false}
}

// stat shows the latest value, coloured by its thresholds.
func stat(title, description, unit string, steps []Step, qs ...query) Panel {
	p := panel("stat", title, description, unit, steps, true, qs...)
	p.Options = Options{ReduceOptions: reduce(), ColorMode: "background", GraphMode: "none", TextMode: "auto", JustifyMode: "auto", Orientation: "auto"}
	return p
}

// gauge shows the latest value on a dial with threshold markers.
func gauge(title, description, unit string, lo, hi float64, steps []Step, qs ...query) Panel {
	p := panel("gauge", title, description, unit, steps, true, qs...)
	p.FieldConfig.Defaults.Min, p.FieldConfig.Defaults.Max = ptr(lo), ptr(hi)
	p.Options = Options{ReduceOptions: reduce(), Orientation: "auto", ShowThresholdMarkers: ptr(true), ShowThresholdLabels: ptr(false)}
	return p
}

// barGauge shows one bar per series.
func barGauge(title, description, unit string, lo, hi *float64, steps []Step, qs ...query) Panel {
	p := panel("bargauge", title, description, unit, steps, true, qs...)
	p.FieldConfig.Defaults.Min, p.FieldConfig.Defaults.Max = lo, hi
	p.Options = Options{ReduceOptions: reduce(), Orientation: "horizontal", DisplayMode: "gradient", ShowUnfilled: ptr(true)}
	return p
}

// timeSeries draws lines; its threshold steps, if any, are drawn as lines.
func timeSeries(title, description, unit string, steps []Step, qs ...query) Panel {
	style := "off"
	if len(steps) > 1 {
		style = "line"
	}
	p := panel("timeseries", title, description, unit, steps, false, qs...)
	p.FieldConfig.Defaults.Color = FieldColor{Mode: "palette-classic"}
	p.FieldConfig.Defaults.Custom = &CustomField{
		DrawStyle: "line", LineWidth: 1, FillOpacity: 10, ShowPoints: "never",
		ThresholdsStyle: ThresholdsStyle{Mode: style},
	}
	p.Options = Options{
		Legend:  &Legend{DisplayMode: "list", Placement: "bottom", ShowLegend: true, Calcs: []string{}},
		Tooltip: &Tooltip{Mode: "multi", Sort: "desc"},
	}
	return p
}

// upDown maps 1/0 to UP/DOWN, green/red.
func upDown(p Panel, up, down string) Panel {
	p.FieldConfig.Defaults.Mappings = []Mapping{{
		Type: "value",
		Options: map[string]MappingValue{
			"0": {Text: down, Color: "red", Index: 1},
			"1": {Text: up, Color: "green", Index: 0},
		},
	}}
	p.FieldConfig.Defaults.Thresholds.Steps = []Step{{Color: "red"}, {Color: "green", Value: ptr(1.0)}}
	return p
}

// showing records which alerts the panel's threshold steps come from.
func showing(p Panel, alerts ...string) Panel {
	p.alerts = alerts
	return p
}

// Threshold steps. A step colours values from its value up (>=); alerts
// fire strictly beyond a level (>, <), so a higher-is-worse panel turns red
// at the level itself, one tick before the alert can fire.

// stepsAbove: green, an optional dashboard-only yellow, then orange for every
// level but the last and red for the last.
func stepsAbove(a rulegen.Alert, yellow *float64) []Step {
	steps := []Step{{Color: "green"}}
	if yellow != nil {
		steps = append(steps, Step{Color: "yellow", Value: ptr(*yellow)})
	}
	for i, l := range a.Levels {
		color := "orange"
		if i == len(a.Levels)-1 {
			color = "red"
		}
		steps = append(steps, Step{Color: color, Value: ptr(l.Threshold())})
	}
	return steps
}

// stepsBelow (lower is worse): red from minus infinity, orange from the
// critical level, green from the warning level.
func stepsBelow(a rulegen.Alert) []Step {
	steps := []Step{{Color: "red"}}
	for i := len(a.Levels) - 1; i >= 0; i-- {
		color := "orange"
		if i == 0 {
			color = "green"
		}
		steps = append(steps, Step{Color: color, Value: ptr(a.Levels[i].Threshold())})
	}
	return steps
}

// layout numbers panels and places them left to right in rows of 24
// columns, each with its width and height.
type layout struct {
	panels []Panel
	x, y   int
	rowH   int
}

func (l *layout) add(w, h int, p Panel) {
	if l.x+w > 24 {
		l.x, l.y, l.rowH = 0, l.y+l.rowH, 0
	}
	p.ID = len(l.panels) + 1
	p.GridPos = GridPos{H: h, W: w, X: l.x, Y: l.y}
	l.panels = append(l.panels, p)
	l.x += w
	l.rowH = max(l.rowH, h)
}

// dashboard wraps panels with the shared settings and variables.
func dashboard(uid, title, description string, vars []Variable, panels []Panel) Dashboard {
	return Dashboard{
		UID:           uid,
		Title:         title,
		Description:   description,
		Tags:          []string{"golive"},
		Timezone:      "browser",
		Editable:      true,
		GraphTooltip:  1,
		Refresh:       "30s",
		SchemaVersion: 39,
		Version:       1,
		Time:          sdk.Time{From: "now-6h", To: "now"},
		Timepicker:    Timepicker{RefreshIntervals: []string{"30s", "1m", "5m", "15m"}},
		Templating:    Templating{List: append([]Variable{datasourceVariable()}, vars...)},
		Annotations: Annotations{List: []Annotation{{
			BuiltIn: 1, Datasource: DataSourceRef{Type: "grafana", UID: "-- Grafana --"},
			Enable: true, Hide: true, IconColor: "rgba(0, 211, 255, 1)", Name: "Annotations & Alerts", Type: "dashboard",
		}}},
		Links:  []Link{{Title: "golive", Type: "dashboards", Tags: []string{"golive"}, AsDropdown: true, KeepTime: true, Icon: "external link"}},
		Panels: panels,
	}
}

func datasourceVariable() Variable {
	return Variable{
		Name: "datasource", Label: "Data source", Type: "datasource", Query: "prometheus",
		Current: Current{Text: "Prometheus", Value: "prometheus"}, Options: []Option{},
	}
}

// labelVariable is a multi-value query variable over label_values.
func labelVariable(name, label, query string) Variable {
	return Variable{
		Name: name, Label: label, Type: "query",
		Query:      query,
		Datasource: ptr(datasource()),
		Refresh:    2, // on time range change
		Multi:      true, IncludeAll: true, AllValue: ".*", Sort: 1,
		Current: Current{Text: "All", Value: "$__all"}, Options: []Option{},
	}
}
