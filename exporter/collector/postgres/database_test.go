package postgres

import (
	"reflect"
	"sort"
	"testing"
)

func TestSizeCacheMeasuresNewDatabasesAndTheStalestOne(t *testing.T) {
	var c sizeCache
	present := map[string]bool{"1": true, "5": true, "16384": true}

	stalest, known := c.plan()
	if stalest != "" || len(known) != 0 {
		t.Fatalf("empty cache planned %q, %v", stalest, known)
	}
	// First scrape: the server measured everything (nothing was known).
	got := c.update(map[string]float64{"1": 10, "5": 50, "16384": 1600}, present)
	if !reflect.DeepEqual(got, map[string]float64{"1": 10, "5": 50, "16384": 1600}) {
		t.Fatalf("after first scrape: %v", got)
	}

	// Later scrapes re-measure one database each, oldest first, so every
	// database is refreshed within len(databases) scrapes.
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		stalest, known = c.plan()
		sort.Strings(known)
		if !reflect.DeepEqual(known, []string{"1", "16384", "5"}) {
			t.Fatalf("known = %v", known)
		}
		if seen[stalest] {
			t.Fatalf("scrape %d re-measured %s again before the others", i, stalest)
		}
		seen[stalest] = true
		got = c.update(map[string]float64{stalest: 99}, present)
		if got[stalest] != 99 || len(got) != 3 {
			t.Fatalf("scrape %d: %v", i, got)
		}
	}

	// A dropped database is forgotten.
	delete(present, "16384")
	got = c.update(nil, present)
	if _, ok := got["16384"]; ok || len(got) != 2 {
		t.Errorf("dropped database still reported: %v", got)
	}
}
