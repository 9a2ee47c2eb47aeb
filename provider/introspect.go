package provider

import (
	"sort"
	"strings"

	"github.com/godbus/dbus/v5"
)

// Introspection data of the interfaces, as in the Secret Service spec.
const (
	xmlProps = `<interface name="org.freedesktop.DBus.Properties">
<method name="Get"><arg name="interface" type="s" direction="in"/><arg name="property" type="s" direction="in"/><arg name="value" type="v" direction="out"/></method>
<method name="GetAll"><arg name="interface" type="s" direction="in"/><arg name="properties" type="a{sv}" direction="out"/></method>
<method name="Set"><arg name="interface" type="s" direction="in"/><arg name="property" type="s" direction="in"/><arg name="value" type="v" direction="in"/></method>
<signal name="PropertiesChanged"><arg name="interface" type="s"/><arg name="changed_properties" type="a{sv}"/><arg name="invalidated_properties" type="as"/></signal>
</interface>
<interface name="org.freedesktop.DBus.Introspectable">
<method name="Introspect"><arg name="data" type="s" direction="out"/></method>
</interface>
`
	xmlService = `<interface name="org.freedesktop.Secret.Service">
<property name="Collections" type="ao" access="read"/>
<method name="OpenSession"><arg name="algorithm" type="s" direction="in"/><arg name="input" type="v" direction="in"/><arg name="output" type="v" direction="out"/><arg name="result" type="o" direction="out"/></method>
<method name="CreateCollection"><arg name="properties" type="a{sv}" direction="in"/><arg name="alias" type="s" direction="in"/><arg name="collection" type="o" direction="out"/><arg name="prompt" type="o" direction="out"/></method>
<method name="SearchItems"><arg name="attributes" type="a{ss}" direction="in"/><arg name="unlocked" type="ao" direction="out"/><arg name="locked" type="ao" direction="out"/></method>
<method name="Unlock"><arg name="objects" type="ao" direction="in"/><arg name="unlocked" type="ao" direction="out"/><arg name="prompt" type="o" direction="out"/></method>
<method name="Lock"><arg name="objects" type="ao" direction="in"/><arg name="locked" type="ao" direction="out"/><arg name="Prompt" type="o" direction="out"/></method>
<method name="GetSecrets"><arg name="items" type="ao" direction="in"/><arg name="session" type="o" direction="in"/><arg name="secrets" type="a{o(oayays)}" direction="out"/></method>
<method name="ReadAlias"><arg name="name" type="s" direction="in"/><arg name="collection" type="o" direction="out"/></method>
<method name="SetAlias"><arg name="name" type="s" direction="in"/><arg name="collection" type="o" direction="in"/></method>
<signal name="CollectionCreated"><arg name="collection" type="o"/></signal>
<signal name="CollectionDeleted"><arg name="collection" type="o"/></signal>
<signal name="CollectionChanged"><arg name="collection" type="o"/></signal>
</interface>
`
	xmlCollection = `<interface name="org.freedesktop.Secret.Collection">
<property name="Items" type="ao" access="read"/>
<property name="Label" type="s" access="readwrite"/>
<property name="Locked" type="b" access="read"/>
<property name="Created" type="t" access="read"/>
<property name="Modified" type="t" access="read"/>
<method name="Delete"><arg name="prompt" type="o" direction="out"/></method>
<method name="SearchItems"><arg name="attributes" type="a{ss}" direction="in"/><arg name="results" type="ao" direction="out"/></method>
<method name="CreateItem"><arg name="properties" type="a{sv}" direction="in"/><arg name="secret" type="(oayays)" direction="in"/><arg name="replace" type="b" direction="in"/><arg name="item" type="o" direction="out"/><arg name="prompt" type="o" direction="out"/></method>
<signal name="ItemCreated"><arg name="item" type="o"/></signal>
<signal name="ItemDeleted"><arg name="item" type="o"/></signal>
<signal name="ItemChanged"><arg name="item" type="o"/></signal>
</interface>
`
	xmlItem = `<interface name="org.freedesktop.Secret.Item">
<property name="Locked" type="b" access="read"/>
<property name="Attributes" type="a{ss}" access="readwrite"/>
<property name="Label" type="s" access="readwrite"/>
<property name="Type" type="s" access="read"/>
<property name="Created" type="t" access="read"/>
<property name="Modified" type="t" access="read"/>
<method name="Delete"><arg name="Prompt" type="o" direction="out"/></method>
<method name="GetSecret"><arg name="session" type="o" direction="in"/><arg name="secret" type="(oayays)" direction="out"/></method>
<method name="SetSecret"><arg name="secret" type="(oayays)" direction="in"/></method>
</interface>
`
	xmlSession = `<interface name="org.freedesktop.Secret.Session">
<method name="Close"/>
</interface>
`
	xmlPrompt = `<interface name="org.freedesktop.Secret.Prompt">
<method name="Prompt"><arg name="window_id" type="s" direction="in"/></method>
<method name="Dismiss"/>
<signal name="Completed"><arg name="dismissed" type="b"/><arg name="result" type="v"/></signal>
</interface>
`
)

const xmlHeader = `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
`

// introspect describes the object at p and names its children.
func (s *Server) introspect(p dbus.ObjectPath) string {
	var b strings.Builder
	b.WriteString(xmlHeader)
	var children []string
	t := parsePath(p)
	switch {
	case p == "/" || p == "/org" || p == "/org/freedesktop":
		next := map[dbus.ObjectPath]string{"/": "org", "/org": "freedesktop", "/org/freedesktop": "secrets"}[p]
		children = []string{next}
	case t.kind == targetService:
		b.WriteString(xmlProps + xmlService)
		children = []string{"collection", "aliases", "session", "prompt"}
	case p == dbus.ObjectPath(strings.TrimSuffix(collectionBase, "/")):
		for _, c := range s.collectionList() {
			children = append(children, c.id)
		}
	case p == dbus.ObjectPath(strings.TrimSuffix(aliasBase, "/")):
		s.mu.Lock()
		for a := range s.aliases {
			children = append(children, a)
		}
		s.mu.Unlock()
		sort.Strings(children)
	case t.kind == targetCollection:
		c, ok := s.resolve(t)
		if !ok {
			break
		}
		b.WriteString(xmlProps + xmlCollection)
		ctx, cancel := s.callCtx()
		items, _ := c.allItems(ctx)
		cancel()
		for _, it := range items {
			children = append(children, string(it[strings.LastIndexByte(string(it), '/')+1:]))
		}
	case t.kind == targetItem:
		b.WriteString(xmlProps + xmlItem)
	case t.kind == targetSession:
		b.WriteString(xmlSession)
	case t.kind == targetPrompt:
		b.WriteString(xmlPrompt)
	case p == dbus.ObjectPath(strings.TrimSuffix(sessionBase, "/")):
		s.mu.Lock()
		for n := range s.sessions {
			children = append(children, n)
		}
		s.mu.Unlock()
		sort.Strings(children)
	}
	for _, c := range children {
		b.WriteString(`<node name="` + c + `"/>` + "\n")
	}
	b.WriteString("</node>\n")
	return b.String()
}

// export installs the handlers for the whole /org/freedesktop/secrets tree.
func (s *Server) export() error {
	tables := map[string]map[string]any{
		ifaceService:    s.serviceMethods(),
		ifaceCollection: s.collectionMethods(),
		ifaceItem:       s.itemMethods(),
		ifaceSession:    s.sessionMethods(),
		ifacePrompt:     s.promptMethods(),
		ifaceProps:      s.propsMethods(),
		ifaceIntrospect: {"Introspect": func(msg dbus.Message) (string, *dbus.Error) {
			return s.introspect(msgPath(msg)), nil
		}},
	}
	for iface, methods := range tables {
		if err := s.exportTable(s.conn, true, methods, servicePath, iface); err != nil {
			return err
		}
	}
	// The parents, so that a tree walk from / finds the service.
	for _, p := range []dbus.ObjectPath{"/", "/org", "/org/freedesktop"} {
		p := p
		if err := s.exportTable(s.conn, false, map[string]any{"Introspect": func() (string, *dbus.Error) {
			return s.introspect(p), nil
		}}, p, ifaceIntrospect); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) unexport() {
	for _, iface := range []string{ifaceService, ifaceCollection, ifaceItem, ifaceSession, ifacePrompt, ifaceProps, ifaceIntrospect} {
		_ = s.exportTable(s.conn, true, nil, servicePath, iface)
	}
	for _, p := range []dbus.ObjectPath{"/", "/org", "/org/freedesktop"} {
		_ = s.exportTable(s.conn, false, nil, p, ifaceIntrospect)
	}
	s.mu.Lock()
	portal := s.portal
	s.mu.Unlock()
	if portal != nil {
		_ = s.exportTable(portal, false, nil, portalPath, ifacePortal)
		_ = s.exportTable(portal, false, nil, portalPath, ifaceProps)
		_ = s.exportTable(portal, true, nil, portalRequests, ifaceRequest)
	}
}

// exportTable exports (or, with nil methods, unexports) a method table on
// conn. godbus's export is not safe against another export at the same
// time (it looks paths up without its lock), and the portal's request
// objects come and go while other calls run: every export goes through
// here, one at a time.
func (s *Server) exportTable(conn *dbus.Conn, subtree bool, methods map[string]any, p dbus.ObjectPath, iface string) error {
	s.exportMu.Lock()
	defer s.exportMu.Unlock()
	if subtree {
		return conn.ExportSubtreeMethodTable(methods, p, iface)
	}
	return conn.ExportMethodTable(methods, p, iface)
}
