package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Grouping turns an alert's labels into its incident group key.
type Grouping struct {
	by [][]string
}

// NewGrouping parses incidents.group_by ("a|b": first of a, b present).
func NewGrouping(groupBy []string) Grouping {
	g := Grouping{}
	for _, entry := range groupBy {
		var alts []string
		for _, l := range strings.Split(entry, "|") {
			alts = append(alts, strings.TrimSpace(l))
		}
		g.by = append(g.by, alts)
	}
	return g
}

// Key returns the group key ("alertname=X,service=web") and the labels it
// was built from. A missing label counts as empty, so alerts without it
// still group together.
func (g Grouping) Key(lbls map[string]string) (string, map[string]string) {
	parts := make([]string, 0, len(g.by))
	used := make(map[string]string, len(g.by))
	for _, alts := range g.by {
		name, value := alts[0], ""
		for _, a := range alts {
			if v := lbls[a]; v != "" {
				name, value = a, v
				break
			}
		}
		parts = append(parts, name+"="+quoteIfNeeded(value))
		if value != "" {
			used[name] = value
		}
	}
	return bounded(strings.Join(parts, ",")), used
}

// maxKeyBytes keeps group keys indexable: PostgreSQL refuses btree entries
// above about 2.7 kB (SQLite does not), and a label value may hold 64 KiB,
// such as a long probed URL in instance.
const maxKeyBytes = 512

// bounded shortens a long key to a readable head and a hash of the whole.
func bounded(key string) string {
	if len(key) <= maxKeyBytes {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	// The cut may split a character; PostgreSQL text must be valid UTF-8.
	head := strings.ToValidUTF8(key[:maxKeyBytes-80], "")
	return head + "…sha256:" + hex.EncodeToString(sum[:])
}

// quoteIfNeeded keeps keys unambiguous when values contain separators.
func quoteIfNeeded(v string) string {
	if strings.ContainsAny(v, ",=\"") {
		return `"` + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `"`, `\"`) + `"`
	}
	return v
}

// title is the group's values, for people: "HighCPUUsage / web".
func title(used map[string]string, g Grouping) string {
	var vals []string
	for _, alts := range g.by {
		for _, a := range alts {
			if v, ok := used[a]; ok {
				vals = append(vals, v)
				break
			}
		}
	}
	return strings.Join(vals, " / ")
}
