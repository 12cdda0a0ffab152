package nomadplugin

// HealthState is the driver's health as shown by `nomad node status`.
type HealthState int

// Health states, numbered as on the wire.
const (
	// HealthUndetected: the driver is not usable on this node at all.
	HealthUndetected HealthState = iota
	HealthUnhealthy
	HealthHealthy
)

// Fingerprint is one health report of the driver.
type Fingerprint struct {
	// Attributes become node attributes; by convention keys are
	// "driver.<name>.<thing>".
	Attributes        map[string]Attribute
	Health            HealthState
	HealthDescription string
	// Err marks the driver unhealthy with "failed to fingerprint driver".
	Err error
}

// Attribute is a typed node attribute. Exactly one of the value pointers is
// set; use the New*Attribute constructors.
type Attribute struct {
	Float  *float64
	Int    *int64
	String *string
	Bool   *bool
	// Unit is appended to the value on the node, e.g. "MiB".
	Unit string
}

// NewStringAttribute returns a string attribute.
func NewStringAttribute(s string) Attribute { return Attribute{String: &s} }

// NewBoolAttribute returns a boolean attribute.
func NewBoolAttribute(b bool) Attribute { return Attribute{Bool: &b} }

// NewIntAttribute returns an integer attribute with an optional unit.
func NewIntAttribute(i int64, unit string) Attribute { return Attribute{Int: &i, Unit: unit} }

// NewFloatAttribute returns a floating-point attribute with an optional unit.
func NewFloatAttribute(f float64, unit string) Attribute { return Attribute{Float: &f, Unit: unit} }
