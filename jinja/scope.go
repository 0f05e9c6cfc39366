package jinja

import "slices"

// scope holds the variables of one block (the template top level, a loop iteration, a
// macro call, a with block). Lookups walk to the parent; assignments stay local.
type scope struct {
	parent *scope
	names  []string
	vals   []Value
	// index maps each name to its slot once the scope holds more than scopeIndexMin
	// names: a template may fill a scope with tens of thousands of names, and each
	// lookup or assignment must stay constant-time.
	index map[string]int
}

// scopeIndexMin is how many names a scope holds before it indexes them: most
// scopes hold a handful, which a scan finds faster than a map.
const scopeIndexMin = 16

// find returns the slot of name in s itself, or -1.
func (s *scope) find(name string) int {
	if s.index != nil {
		if i, ok := s.index[name]; ok {
			return i
		}
		return -1
	}
	for i := len(s.names) - 1; i >= 0; i-- {
		if s.names[i] == name {
			return i
		}
	}
	return -1
}

func (s *scope) get(name string) (Value, bool) {
	for ; s != nil; s = s.parent {
		if i := s.find(name); i >= 0 {
			return s.vals[i], true
		}
	}
	return Value{}, false
}

func (s *scope) set(name string, v Value) {
	if i := s.find(name); i >= 0 {
		s.vals[i] = v
		return
	}
	s.names = append(s.names, name)
	s.vals = append(s.vals, v)
	switch {
	case s.index != nil:
		s.index[name] = len(s.names) - 1
	case len(s.names) > scopeIndexMin:
		s.index = make(map[string]int, 2*len(s.names))
		for i, n := range s.names {
			s.index[n] = i
		}
	}
}

// reserve makes room for n more names, indexing the scope at once when it will
// hold many, so that binding them does not grow the slices and the map step by step.
func (s *scope) reserve(n int) {
	s.names = slices.Grow(s.names, n)
	s.vals = slices.Grow(s.vals, n)
	if s.index == nil && len(s.names)+n > scopeIndexMin {
		s.index = make(map[string]int, len(s.names)+n)
		for i, name := range s.names {
			s.index[name] = i
		}
	}
}

// truncate keeps the first n names of s.
func (s *scope) truncate(n int) {
	if s.index != nil {
		if n <= scopeIndexMin {
			s.index = nil
		} else {
			for _, name := range s.names[n:] {
				delete(s.index, name)
			}
		}
	}
	clear(s.vals[n:])
	s.names = s.names[:n]
	s.vals = s.vals[:n]
}

func (s *scope) reset() { s.truncate(0) }
