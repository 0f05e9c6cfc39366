package jinja

// scope holds the variables of one block (the template top level, a loop iteration, a
// macro call, a with block). Lookups walk to the parent; assignments stay local.
type scope struct {
	parent *scope
	names  []string
	vals   []Value
}

func (s *scope) get(name string) (Value, bool) {
	for ; s != nil; s = s.parent {
		for i := len(s.names) - 1; i >= 0; i-- {
			if s.names[i] == name {
				return s.vals[i], true
			}
		}
	}
	return Value{}, false
}

func (s *scope) set(name string, v Value) {
	for i := len(s.names) - 1; i >= 0; i-- {
		if s.names[i] == name {
			s.vals[i] = v
			return
		}
	}
	s.names = append(s.names, name)
	s.vals = append(s.vals, v)
}

func (s *scope) reset() {
	clear(s.vals)
	s.names = s.names[:0]
	s.vals = s.vals[:0]
}
