package httpapi

import (
	"fmt"
	"net/http"

	"github.com/hookline/hookline"
)

func (s *Server) appAPI() resource {
	return resource{
		tag: "apps",
		routes: []route{
			{pattern: "POST /api/v1/apps", handle: s.createApp, doc: &operation{
				summary: "Create an app: the client id and secret that sign a webhook channel's JWTs",
				description: "The client secret is returned once, in this response; it is stored sealed and shown as ******** afterwards. " +
					"Sign the channel's JWTs with it (HS256) and put the client id in their appId claim. Agency and admin keys name the company with company_id.",
				request: hookline.AppInput{}, status: http.StatusCreated, response: hookline.NewAppSecret{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/apps", handle: s.listApps, doc: &operation{
				summary: "List the apps the caller may see", description: "Ordered by id, one page at a time; secrets masked.",
				status: http.StatusOK, response: list{"apps", hookline.App{}},
				query: append([]param{companyIDParam()}, pageParams()...), errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
			{pattern: "GET /api/v1/apps/{id}", handle: s.getApp, doc: &operation{
				summary: "Get an app (secret masked)", status: http.StatusOK, response: hookline.App{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "DELETE /api/v1/apps/{id}", handle: s.deleteApp, doc: &operation{
				summary:     "Delete an app",
				description: "An app a channel uses is not deleted: the 409 names the channels; associate them with another app first (PATCH /api/v1/channels/{id}).",
				status:      http.StatusNoContent, errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "POST /api/v1/apps/{id}/rotate-secret", handle: s.rotateAppSecret, doc: &operation{
				summary: "Give an app a new client secret",
				description: "The new secret is returned once, in this response. Tokens signed with the previous one are accepted for 24 hours more " +
					"(previous_secret_valid_until), so that the systems calling the channels can switch over.",
				request: emptyBody{}, optionalBody: true, status: http.StatusOK, response: hookline.NewAppSecret{},
				errors: []int{http.StatusNotFound}}},
		},
	}
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var in hookline.AppInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	a, err := s.apps.CreateApp(r.Context(), caller, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/apps/%d", a.ID))
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return listByCompany(w, r, caller, "apps", s.apps.FindApps)
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "app")
	if err != nil {
		return err
	}
	a, err := s.apps.FindApp(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "app")
	if err != nil {
		return err
	}
	if err := s.apps.DeleteApp(r.Context(), caller, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateAppSecret(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "app")
	if err != nil {
		return err
	}
	if err := s.decode(w, r, &emptyBody{}, true); err != nil {
		return err
	}
	a, err := s.apps.RotateAppSecret(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}
