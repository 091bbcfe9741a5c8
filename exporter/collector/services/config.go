package services

import (
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"strings"

	"gopkg.in/yaml.v3"
)

// Backends.
const (
	BackendAuto    = "auto"
	BackendSystemd = "systemd"
	BackendProcess = "process"
)

// DefaultProcessNames maps common service names to the process that runs
// them, for the process backend; other services match their own name.
var DefaultProcessNames = map[string]string{
	"postgresql": "postgres",
	"docker":     "dockerd",
	"redis":      "redis-server",
	"mysql":      "mysqld",
	"mariadb":    "mariadbd",
	"ssh":        "sshd",
}

// Config is the services section of the exporter config.
type Config struct {
	// Names lists services by name alone, with the default process name.
	Names []string `yaml:"names"`
	// Services lists services that need a process or unit name of their own.
	Services []Service `yaml:"services"`
	// Backend is auto (systemd when it runs and answers on D-Bus, otherwise
	// the process table), systemd or process.
	Backend string `yaml:"backend"`
}

// Service is one watched service.
type Service struct {
	Name string `yaml:"name"`
	// Process is the process name (as in /proc/<pid>/comm, or the base name
	// of argv[0] for names longer than the kernel's 15 characters).
	Process string `yaml:"process"`
	// Unit is the systemd unit; default "<name>.service".
	Unit string `yaml:"unit"`
}

// Default is the configuration used for fields the file leaves out.
var Default = Config{Backend: BackendAuto}

// UnmarshalYAML applies the defaults and validates. Unknown keys are
// rejected by exporter/config, which walks the whole document.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = Default
	type plain Config
	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
		return err
	}
	_, err := c.resolve()
	return err
}

// resolve validates the config and returns every service with its process
// and unit names filled in.
func (c *Config) resolve() ([]Service, error) {
	switch c.Backend {
	case "":
		c.Backend = BackendAuto
	case BackendAuto, BackendSystemd, BackendProcess:
	default:
		return nil, fmt.Errorf("backend: %q is not one of auto, systemd, process", c.Backend)
	}
	var out []Service
	seen := map[string]string{}
	add := func(field string, s Service) error {
		if s.Name == "" {
			return fmt.Errorf("%s: name must not be empty", field)
		}
		if strings.ContainsAny(s.Name+s.Process, "/ \t\n") {
			return fmt.Errorf("%s: name and process must be bare names, got %q / %q", field, s.Name, s.Process)
		}
		if prev, dup := seen[s.Name]; dup {
			return fmt.Errorf("%s: service %q is already listed in %s", field, s.Name, prev)
		}
		seen[s.Name] = field
		if s.Process == "" {
			s.Process = DefaultProcessNames[s.Name]
		}
		if s.Process == "" {
			s.Process = s.Name
		}
		if s.Unit == "" {
			s.Unit = s.Name + ".service"
		}
		out = append(out, s)
		return nil
	}
	for i, n := range c.Names {
		if err := add(fmt.Sprintf("names[%d]", i), Service{Name: n}); err != nil {
			return nil, err
		}
	}
	for i, s := range c.Services {
		if err := add(fmt.Sprintf("services[%d]", i), s); err != nil {
			return nil, err
		}
	}
	return out, nil
}
