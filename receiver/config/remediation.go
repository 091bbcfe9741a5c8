package config

// validateRemediation checks the remediation section against the notify
// channels it names.
func (c *Config) validateRemediation() error {
	names := make([]string, 0, len(c.Notify.Channels))
	for _, ch := range c.Notify.Channels {
		names = append(names, ch.Name)
	}
	return c.Remediation.Validate(names)
}
