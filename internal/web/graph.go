package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"

	"github.com/phalanx-ledger/phalanx/internal/projection"
)

// Bounds of the relationship view.
const (
	maxNeighbours = 12   // nodes drawn around the object
	relScan       = 1000 // newest relationship-like objects scanned for links to it
)

// containerTypes are the types whose references point at other objects:
// the scan for incoming links reads the newest relScan of them.
var containerTypes = []string{"relationship", "sighting", "report", "grouping", "note", "opinion", "observed-data"}

// graph is the object's relationship neighbourhood, laid out for an SVG.
type graph struct {
	Width, Height int
	CX, CY        int
	Center        string
	Nodes         []graphNode
	More          int // neighbours not drawn
	Scanned       int // containers scanned for incoming links
}

// graphNode is one neighbour and its edge to the centre.
type graphNode struct {
	ID, Type, Name, Edge string
	Incoming             bool
	X, Y                 int // position of the node
	LX, LY               int // position of the edge label
}

// neighbourhood collects the object's outgoing references and the newest
// relationships, sightings and containers that refer to it, and lays them
// out on a circle.
func (s *Server) neighbourhood(r *http.Request, v *Viewer, obj projection.Version) (graph, error) {
	g := graph{Width: 640, Height: 420, CX: 320, CY: 210, Center: displayName(obj)}
	var ns []graphNode
	for _, p := range properties(obj.Object) {
		if p.Key == "object_marking_refs" || p.Key == "created_by_ref" {
			continue
		}
		for _, id := range p.Refs {
			ns = append(ns, graphNode{ID: id, Edge: p.Key})
		}
	}
	page, err := s.search(r.Context(), v, projection.Query{Types: containerTypes, Limit: relScan})
	if err != nil {
		return g, fmt.Errorf("relationships of %s: %w", obj.ID, err)
	}
	g.Scanned = len(page.Items)
	for _, c := range s.visible(v, page.Items) {
		if c.ID == obj.ID {
			continue
		}
		ns = append(ns, incoming(c, obj.ID)...)
	}
	if len(ns) > maxNeighbours {
		g.More, ns = len(ns)-maxNeighbours, ns[:maxNeighbours]
	}
	for i := range ns {
		s.describe(r, v, &ns[i])
	}
	g.Nodes = layout(ns, g.CX, g.CY)
	return g, nil
}

// incoming returns the edges container c draws to id: a relationship
// links its other end; any other container links itself.
func incoming(c projection.Version, id string) []graphNode {
	var rel struct {
		Type   string `json:"relationship_type"`
		Source string `json:"source_ref"`
		Target string `json:"target_ref"`
	}
	if c.Type == "relationship" && json.Unmarshal(c.Object, &rel) == nil {
		switch id {
		case rel.Target:
			return []graphNode{{ID: rel.Source, Edge: rel.Type, Incoming: true}}
		case rel.Source:
			return []graphNode{{ID: rel.Target, Edge: rel.Type}}
		}
		return nil
	}
	for _, p := range properties(c.Object) {
		if slices.Contains(p.Refs, id) {
			return []graphNode{{ID: c.ID, Type: c.Type, Name: displayName(c), Edge: p.Key, Incoming: true}}
		}
	}
	return nil
}

// describe fills in a neighbour's type and name from the projection when
// the viewer may see it.
func (s *Server) describe(r *http.Request, v *Viewer, n *graphNode) {
	if n.Name != "" {
		return
	}
	n.Name = n.ID
	if vs, err := s.cfg.Backend.Get(r.Context(), n.ID, false); err == nil {
		if vs = s.visible(v, vs); len(vs) > 0 {
			n.Type, n.Name = vs[0].Type, displayName(vs[0])
		}
	}
}

// layout places the nodes evenly on an ellipse around the centre.
func layout(ns []graphNode, cx, cy int) []graphNode {
	const rx, ry = 230.0, 150.0
	for i := range ns {
		a := 2*math.Pi*float64(i)/float64(len(ns)) - math.Pi/2
		ns[i].X = cx + int(math.Round(rx*math.Cos(a)))
		ns[i].Y = cy + int(math.Round(ry*math.Sin(a)))
		ns[i].LX, ns[i].LY = (cx+ns[i].X)/2, (cy+ns[i].Y)/2
	}
	return ns
}
