package sqlcheck

import "testing"

func TestCheckSingleStatement(t *testing.T) {
	for q, many := range map[string]bool{
		"SELECT 1":                        false,
		"SELECT 1;":                       false,
		"SELECT 1;  -- done\n":            false,
		"SELECT 1; /* done */":            false,
		"SELECT ';' AS s":                 false,
		`SELECT 1 AS "a;b"`:               false,
		"SELECT $$;$$":                    false,
		"SELECT $x$ ; DELETE $x$":         false,
		"SELECT 'it''s; fine'":            false,
		"SELECT 1 -- ; DELETE FROM t":     false,
		"SELECT 1; DELETE FROM t":         true,
		"SELECT 1;DELETE FROM t;":         true,
		"SELECT 1; /* c */ DELETE FROM t": true,
		"SELECT ';'; DELETE FROM t":       true,
		"SELECT $1; SELECT 2":             true,
		"SELECT 1;\n-- x\nSELECT 2":       true,
	} {
		err := checkSingleStatement(q)
		if (err != nil) != many {
			t.Errorf("checkSingleStatement(%q) = %v, want more-than-one %v", q, err, many)
		}
	}
}
