package host

import "sync"

// internCache returns one string per distinct device name, so that parsing the
// same interfaces and disks every scrape does not allocate their names anew.
type internCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *internCache) get(b []byte) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[string(b)]; ok {
		return s
	}
	if c.m == nil {
		c.m = map[string]string{}
	}
	if len(c.m) > 4096 {
		// Names that churn (containers' veths) must not grow this forever.
		clear(c.m)
	}
	s := string(b)
	c.m[s] = s
	return s
}
