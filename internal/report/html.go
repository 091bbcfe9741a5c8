package report

import "html/template"

// htmlTemplate is the HTML part. Styles are inline or in one small block
// (Gmail keeps <style> in the head; Outlook reads inline styles), tables
// only, no scripts, and it stays well below Gmail's ~102 KB clipping limit:
// the charts travel as separate image parts.
var htmlTemplate = template.Must(template.New("report").Funcs(funcs).Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>golive daily report {{.Date}}</title>
<style>
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328;max-width:760px;margin:0 auto;padding:8px}
h1{font-size:20px;margin:8px 0}h2{font-size:16px;margin:20px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:2px}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eaeef2;font-size:13px}
th{background:#f6f8fa}td.n,th.n{text-align:right}.bad{color:#cf222e;font-weight:600}.ok{color:#1a7f37}.muted{color:#57606a;font-size:12px}
.head{padding:8px 10px;border-radius:6px;margin:8px 0}.quiet{background:#dafbe1}.attn{background:#fff8c5}
</style></head><body>
<h1>golive daily report &middot; {{.Date}}</h1>
<div class="muted">{{.Location}} &middot; {{clock .From .Location}}–{{.Until}}</div>
<div class="head {{if .Quiet}}quiet{{else}}attn{{end}}"><b>{{.Headline}}</b>
{{- if .Attention}}<ul style="margin:4px 0 0 0;padding-left:20px">{{range .Attention}}<li>{{.}}</li>{{end}}</ul>{{end}}</div>

{{if .IncidentsKnown}}<h2>Incidents</h2>
<table><tr><th>grade</th><th class="n">opened</th><th class="n">resolved</th><th class="n">open</th><th class="n">MTTA mean</th><th class="n">MTTA median</th><th class="n">MTTR mean</th><th class="n">MTTR median</th><th class="n">SLA breaches</th></tr>
{{range .Incidents.ByGrade}}<tr><td>{{.Priority}}</td><td class="n">{{.Opened}}</td><td class="n">{{.Resolved}}</td><td class="n">{{.Open}}</td><td class="n">{{secs .MTTAMean}}</td><td class="n">{{secs .MTTAMedian}}</td><td class="n">{{secs .MTTRMean}}</td><td class="n">{{secs .MTTRMedian}}</td><td class="n">{{.ResponseBreaches}}/{{.ResolutionBreaches}}</td></tr>
{{end}}{{with .Incidents.Total}}<tr><th>all</th><th class="n">{{.Opened}}</th><th class="n">{{.Resolved}}</th><th class="n">{{.Open}}</th><th class="n">{{secs .MTTAMean}}</th><th class="n">{{secs .MTTAMedian}}</th><th class="n">{{secs .MTTRMean}}</th><th class="n">{{secs .MTTRMedian}}</th><th class="n">{{.ResponseBreaches}}/{{.ResolutionBreaches}}</th></tr>{{end}}
</table>
<div class="muted">SLA breaches: response/resolution. Against the previous day: opened {{delta .Incidents.Total.Opened .Previous.Total.Opened}}, resolved {{delta .Incidents.Total.Resolved .Previous.Total.Resolved}}, alert firings {{delta .Firings .PreviousFirings}}.</div>
{{if .Breaches}}<table><tr><th>incident</th><th>grade</th><th>deadline</th><th>at</th><th>title</th></tr>
{{$r := .}}{{range .Breaches}}<tr><td>{{if $r.ExternalURL}}<a href="{{$r.ExternalURL}}/incidents/{{.IncidentID}}">#{{.IncidentID}}</a>{{else}}#{{.IncidentID}}{{end}}</td><td>{{.Priority}}</td><td class="bad">{{.Kind}}</td><td>{{clock .At $r.Location}}</td><td>{{.Title}}</td></tr>
{{end}}</table>{{end}}{{else}}<p class="muted">No incident figures: built without the receiver (--receiver.url).</p>{{end}}

{{range .Images}}<h3 style="font-size:14px;margin:14px 0 2px">{{.Title}}</h3><img src="{{.Src}}" alt="{{.Title}}" width="640" height="240" style="max-width:100%;height:auto;display:block">
{{end}}
{{if .Alerts}}<h2>Alerts (errors by alert)</h2>
<table><tr><th>alert</th><th>severity</th><th class="n">firings</th><th class="n">series</th><th class="n">firing for</th><th></th></tr>
{{range .Alerts}}<tr><td>{{.Name}}</td><td>{{.Severity}}</td><td class="n">{{.Firings}}</td><td class="n">{{.Series}}</td><td class="n">{{dur .Firing}}</td><td>{{if .Flapping}}<span class="bad">flapping</span>{{end}}</td></tr>
{{end}}</table>{{end}}

{{if .Hosts}}<h2>Hosts</h2>
<table><tr><th>host</th><th class="n">uptime</th><th class="n">load 1/5/15</th><th class="n">CPU avg/peak</th><th class="n">memory now/peak</th><th class="n">memory growth</th></tr>
{{range .Hosts}}<tr><td>{{.Instance}}</td><td class="n">{{dur .Uptime}}</td><td class="n">{{printf "%.2f %.2f %.2f" .Load1 .Load5 .Load15}}</td><td class="n">{{pct .CPUAvg}} / {{pct .CPUPeak}}</td><td class="n">{{pct .MemUsed}} / {{pct .MemPeak}}</td><td class="n">{{bytes .MemGrowthPerDay}}/d</td></tr>
{{end}}</table>{{end}}

{{if .Filesystems}}<h2>Disks and capacity</h2>
<table><tr><th>host</th><th>mount</th><th class="n">used</th><th class="n">free</th><th class="n">growth</th><th class="n">days to full</th></tr>
{{$w := .DiskWarnDays}}{{range .Filesystems}}<tr><td>{{.Instance}}</td><td>{{.Mountpoint}}</td><td class="n">{{pct .Used}}</td><td class="n">{{bytes .Avail}}</td><td class="n">{{bytes .GrowthPerDay}}/d</td><td class="n{{if gt $w .DaysToFull}} bad{{end}}">{{days .DaysToFull}}</td></tr>
{{end}}</table>{{end}}

{{if .Hosts}}<h2>Network interfaces</h2>
<table><tr><th>host</th><th>device</th><th class="n">rx avg</th><th class="n">tx avg</th><th class="n">rx peak</th><th class="n">tx peak</th></tr>
{{range $h := .Hosts}}{{range .Interfaces}}<tr><td>{{$h.Instance}}</td><td>{{.Device}}</td><td class="n">{{bits .RxAvg}}</td><td class="n">{{bits .TxAvg}}</td><td class="n">{{bits .RxPeak}}</td><td class="n">{{bits .TxPeak}}</td></tr>
{{end}}{{end}}</table>{{end}}

{{if .Services}}<h2>Services</h2>
<table><tr><th>host</th><th>service</th><th>state</th><th class="n">active</th></tr>
{{range .Services}}<tr><td>{{.Instance}}</td><td>{{.Name}}</td><td class="{{if .ServiceOK}}ok{{else}}bad{{end}}">{{.State}}</td><td class="n">{{pct .Active}}</td></tr>
{{end}}</table>{{end}}

{{if .Databases}}<h2>Databases</h2>
<table><tr><th>kind</th><th>instance</th><th>state</th><th class="n">availability</th><th class="n">connections</th><th class="n">peak</th><th class="n">max</th></tr>
{{range .Databases}}<tr><td>{{.Kind}}</td><td>{{.Instance}}</td><td class="{{if .Up}}ok{{else}}bad{{end}}">{{if .Up}}up{{else}}down{{end}}</td><td class="n">{{pct .Availability}}</td><td class="n">{{printf "%.0f" .Connections}}</td><td class="n">{{printf "%.0f" .Peak}}</td><td class="n">{{if gt .Max 0.0}}{{printf "%.0f" .Max}}{{else}}–{{end}}</td></tr>
{{end}}</table>{{end}}

{{if .Backups}}<h2>Backups</h2>
<table><tr><th>backup</th><th>host</th><th class="n">age</th><th class="n">threshold</th><th>checksum</th><th class="n">size</th><th class="n">restore test</th><th class="n">off-site</th></tr>
{{range .Backups}}<tr><td>{{.Name}}</td><td>{{.Instance}}</td><td class="n{{if .Stale}} bad{{end}}">{{dur .Age}}</td><td class="n">{{dur .MaxAge}}</td><td class="{{if .ChecksumOK}}ok{{else}}bad{{end}}">{{if .ChecksumOK}}ok{{else}}failed{{end}}</td><td class="n">{{bytes .Size}}</td><td class="n">{{dur .RestoreTestAge}}</td><td class="n">{{dur .OffsiteAge}}</td></tr>
{{end}}</table>{{end}}

{{if .Certificates}}<h2>Certificates expiring</h2>
<table><tr><th>target</th><th>expires</th><th class="n">days left</th></tr>
{{range .Certificates}}<tr><td>{{.Instance}}</td><td>{{.Expires.Format "2006-01-02"}}</td><td class="n bad">{{printf "%.1f" .DaysLeft}}</td></tr>
{{end}}</table>{{end}}

{{if .Targets}}<h2>Targets not up all day</h2>
<table><tr><th>job</th><th>instance</th><th class="n">availability</th><th>now</th></tr>
{{range .Targets}}<tr><td>{{.Job}}</td><td>{{.Instance}}</td><td class="n">{{pct .Availability}}</td><td class="{{if .UpNow}}ok{{else}}bad{{end}}">{{if .UpNow}}up{{else}}down{{end}}</td></tr>
{{end}}</table>{{end}}

{{if .Probes}}<h2>Probes that failed</h2>
<table><tr><th>target</th><th class="n">success</th><th>now</th></tr>
{{range .Probes}}<tr><td>{{.Instance}}</td><td class="n">{{pct .Success}}</td><td class="{{if .SucceedingNow}}ok{{else}}bad{{end}}">{{if .SucceedingNow}}ok{{else}}failing{{end}}</td></tr>
{{end}}</table>{{end}}

{{if .ActivityKnown}}<h2>Rollouts and remediation</h2>
{{if .Activity}}<table><tr><th>at</th><th>kind</th><th>name</th><th>outcome</th></tr>
{{$r := .}}{{range .Activity}}<tr><td>{{clock .At $r.Location}}</td><td>{{.Kind}}</td><td>{{.Name}}</td><td>{{.Outcome}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}{{end}}

{{range .Warnings}}<p class="muted">warning: {{.}}</p>{{end}}
<p class="muted">Generated {{.GeneratedAt.Format "2006-01-02 15:04:05 MST"}} from {{.Prometheus}} by golive.</p>
</body></html>
`))
