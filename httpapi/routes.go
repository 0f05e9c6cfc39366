package httpapi

// resource groups the routes of one part of the API. Each resource lives
// in its own file; api lists them all, and both route registration and the
// OpenAPI document (and its completeness test) read that one list.
type resource struct {
	// tag names the group in the OpenAPI document.
	tag    string
	routes []route
}

// route is one ServeMux pattern with its handler and its documentation.
type route struct {
	pattern string // "METHOD /path/{param}"
	handle  handlerFunc
	public  bool // no Authorization needed
	// replyToken: an integration's reply token may stand in for an API
	// key; the handler then gets a nil caller and reads the token.
	replyToken bool
	doc        *operation
}

// api lists every resource. Adding a resource is one file with a method
// returning its resource, plus one line here.
func (s *Server) api() []resource {
	resources := []resource{
		s.systemAPI(),
		s.tenantAPI(),
		s.keyAPI(),
		s.webhookAPI(),
		s.templateAPI(),
	}
	if s.deliveries != nil {
		resources = append(resources, s.deliveryAPI())
	}
	if s.apps != nil {
		resources = append(resources, s.appAPI())
	}
	if s.channels != nil {
		resources = append(resources, s.channelAPI())
	}
	if s.integrations != nil {
		resources = append(resources, s.integrationAPI(), s.connectionAPI(), s.campaignAPI())
	}
	if s.bots != nil {
		resources = append(resources, s.botAPI())
	}
	return resources
}

// Patterns returns every registered route pattern, in registration order.
func (s *Server) Patterns() []string {
	var ps []string
	for _, res := range s.resources {
		for _, rt := range res.routes {
			ps = append(ps, rt.pattern)
		}
	}
	return ps
}
