package stix

// This file is the table of STIX 2.1 object types: which class each belongs
// to, which properties it requires and the kind of value each property it
// defines must hold. The per-type rules that relate properties to each other
// live in constraints.go.

// class is the family an object type belongs to; it decides the common
// properties and the spec_version rule.
type class uint8

const (
	classSDO     class = iota + 1 // STIX Domain Object
	classSRO                      // STIX Relationship Object
	classSCO                      // STIX Cyber-observable Object
	classMeta                     // language-content, extension-definition
	classMarking                  // marking-definition
)

// kind is the shape a property value must have.
type kind uint8

const (
	kString      kind = iota + 1
	kBool             // boolean
	kInt              // integer in [lo, hi]
	kNumber           // any number in [lo, hi]
	kTimestamp        // STIX timestamp
	kTimestampMs      // STIX timestamp with at least millisecond precision
	kStrings          // non-empty list of strings
	kLabels           // non-empty list of non-empty strings
	kEnum             // one of enum
	kEnums            // non-empty list of enum members
	kRef              // identifier, of one of types if set, of none of deny
	kRefs             // non-empty list of kRef
	kDict             // STIX dictionary
	kObject           // any JSON object
	kList             // any non-empty list
	kHashes           // hashes dictionary
	kKillChain        // list of kill-chain-phase
	kExtRefs          // list of external-reference
	kGranular         // list of granular-marking
	kExtensions       // extensions dictionary
	kObservables      // observed-data objects: dictionary of SCOs
	kMimeParts        // email-message body_multipart
	kRegValues        // windows-registry-key values
)

// prop describes the value a property must hold.
type prop struct {
	kind   kind
	lo, hi int64    // kInt, kNumber bounds
	types  []string // kRef(s): allowed target types (nil means any)
	deny   []string // kRef(s): forbidden target types
	enum   []string // kEnum(s)
}

// typeDef is what the specification says about one object type.
type typeDef struct {
	class    class
	required []string        // checked in this order
	props    map[string]prop // type-specific properties
	// atLeastOne lists properties of which one must be present (SCOs that
	// have no required property of their own).
	atLeastOne []string
	check      func(*checker) *ValidationError // co-constraints; nil when none
}

const (
	// maxCount bounds the counts STIX limits to 999,999,999.
	maxCount = 999999999
	// unbounded stands for "no limit" in prop bounds; integers must still
	// fit in 18 decimal digits, far beyond any meaningful STIX value.
	unbounded = 1 << 62
)

var (
	pString    = prop{kind: kString}
	pBool      = prop{kind: kBool}
	pTime      = prop{kind: kTimestamp}
	pTimeMs    = prop{kind: kTimestampMs}
	pStrings   = prop{kind: kStrings}
	pAnyRef    = prop{kind: kRef}
	pAnyRefs   = prop{kind: kRefs}
	pDict      = prop{kind: kDict}
	pObject    = prop{kind: kObject}
	pHashes    = prop{kind: kHashes}
	pKillChain = prop{kind: kKillChain}
	pInt       = prop{kind: kInt, lo: -unbounded, hi: unbounded}
	pUint      = prop{kind: kInt, lo: 0, hi: unbounded}
	pPort      = prop{kind: kInt, lo: 0, hi: 65535}
)

func ref(types ...string) prop  { return prop{kind: kRef, types: types} }
func refs(types ...string) prop { return prop{kind: kRefs, types: types} }
func enum(vals ...string) prop  { return prop{kind: kEnum, enum: vals} }
func enums(vals ...string) prop { return prop{kind: kEnums, enum: vals} }
func intIn(lo, hi int64) prop   { return prop{kind: kInt, lo: lo, hi: hi} }
func numIn(lo, hi int64) prop   { return prop{kind: kNumber, lo: lo, hi: hi} }

// notRefTargets are the types a relationship or sighting cannot point at.
var notRefTargets = []string{"relationship", "sighting", "bundle", "marking-definition", "language-content"}

// sdoTypes are the STIX 2.1 SDO types; observed-data object_refs and
// similar properties must not point at them.
var sdoTypes = []string{
	"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
	"indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
	"note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
}

// coreProps are the common properties of SDOs, SROs, language-content and
// extension-definition objects (STIX 2.1 §3.2).
var coreProps = map[string]prop{
	"created_by_ref":      ref("identity"),
	"created":             pTimeMs,
	"modified":            pTimeMs,
	"revoked":             pBool,
	"labels":              {kind: kLabels},
	"confidence":          intIn(0, 100),
	"lang":                pString,
	"external_references": {kind: kExtRefs},
	"object_marking_refs": refs("marking-definition"),
	"granular_markings":   {kind: kGranular},
	"extensions":          {kind: kExtensions},
}

// scoProps are the common properties of SCOs (STIX 2.1 §3.2, §6).
var scoProps = map[string]prop{
	"object_marking_refs": refs("marking-definition"),
	"granular_markings":   {kind: kGranular},
	"defanged":            pBool,
	"extensions":          {kind: kExtensions},
}

// markingProps are the properties of marking-definition (STIX 2.1 §7.2.1).
var markingProps = map[string]prop{
	"created_by_ref":      ref("identity"),
	"created":             pTime,
	"external_references": {kind: kExtRefs},
	"object_marking_refs": refs("marking-definition"),
	"granular_markings":   {kind: kGranular},
	"extensions":          {kind: kExtensions},
	"name":                pString,
	"definition_type":     pString,
	"definition":          pObject,
}

// typeDefs maps every STIX 2.1 object type to its definition. It is filled
// in init because the co-constraint checks validate embedded objects through
// it, which a package-level initializer could not express without a cycle.
var typeDefs map[string]*typeDef

func init() {
	typeDefs = makeTypeDefs()
	fastTypes, customFastType = makeFastTypes()
	interned = internTable()
	setInternShapes(interned)
}

// internTable lists strings that recur in STIX content — type names,
// property names, a few values — so the decoder can share one copy of each
// instead of allocating it for every object.
func internTable() map[string]any {
	words := []string{
		"type", "id", "spec_version", "2.1", "stix", "source_name", "external_id", "url", "description",
		"kill_chain_name", "phase_name", "selectors", "marking_ref", "extension_type", "statement", "tlp",
		"mitre-attack", "uses", "indicates", "targets", "mitigates", "attributed-to",
		"malicious-activity", "anomalous-activity", "benign", "compromised", "attribution", "unknown",
	}
	for _, id := range tlp1IDs {
		words = append(words, id)
	}
	for _, common := range []map[string]prop{coreProps, scoProps, markingProps} {
		for name := range common {
			words = append(words, name)
		}
	}
	for typ, def := range typeDefs {
		words = append(words, typ)
		for name, p := range def.props {
			words = append(words, name)
			words = append(words, p.enum...)
		}
	}
	table := make(map[string]any, len(words))
	for _, w := range words {
		table[w] = w
	}
	return table
}

func makeTypeDefs() map[string]*typeDef {
	return map[string]*typeDef{
		// SDOs (STIX 2.1 §4).
		"attack-pattern": {class: classSDO, required: []string{"name"}, props: map[string]prop{
			"name": pString, "description": pString, "aliases": pStrings, "kill_chain_phases": pKillChain,
		}},
		"campaign": {class: classSDO, required: []string{"name"}, check: checkSeen, props: map[string]prop{
			"name": pString, "description": pString, "aliases": pStrings,
			"first_seen": pTime, "last_seen": pTime, "objective": pString,
		}},
		"course-of-action": {class: classSDO, required: []string{"name"}, props: map[string]prop{
			"name": pString, "description": pString,
		}},
		"grouping": {class: classSDO, required: []string{"context", "object_refs"}, props: map[string]prop{
			"name": pString, "description": pString, "context": pString, "object_refs": pAnyRefs,
		}},
		"identity": {class: classSDO, required: []string{"name"}, props: map[string]prop{
			"name": pString, "description": pString, "roles": pStrings, "identity_class": pString,
			"sectors": pStrings, "contact_information": pString,
		}},
		"incident": {class: classSDO, required: []string{"name"}, props: map[string]prop{
			"name": pString, "description": pString, "kill_chain_phases": pKillChain,
		}},
		"indicator": {class: classSDO, required: []string{"pattern", "pattern_type", "valid_from"}, check: checkIndicator, props: map[string]prop{
			"name": pString, "description": pString, "indicator_types": pStrings,
			"pattern": pString, "pattern_type": pString, "pattern_version": pString,
			"valid_from": pTime, "valid_until": pTime, "kill_chain_phases": pKillChain,
		}},
		"infrastructure": {class: classSDO, required: []string{"name"}, check: checkSeen, props: map[string]prop{
			"name": pString, "description": pString, "infrastructure_types": pStrings, "aliases": pStrings,
			"kill_chain_phases": pKillChain, "first_seen": pTime, "last_seen": pTime,
		}},
		"intrusion-set": {class: classSDO, required: []string{"name"}, check: checkSeen, props: map[string]prop{
			"name": pString, "description": pString, "aliases": pStrings, "first_seen": pTime, "last_seen": pTime,
			"goals": pStrings, "resource_level": pString, "primary_motivation": pString,
			"secondary_motivations": pStrings,
		}},
		"location": {class: classSDO, check: checkLocation, props: map[string]prop{
			"name": pString, "description": pString, "latitude": numIn(-90, 90), "longitude": numIn(-180, 180),
			"precision": numIn(0, unbounded), "region": pString, "country": pString, "administrative_area": pString,
			"city": pString, "street_address": pString, "postal_code": pString,
		}},
		"malware": {class: classSDO, required: []string{"is_family"}, check: checkMalware, props: map[string]prop{
			"name": pString, "description": pString, "malware_types": pStrings, "is_family": pBool,
			"aliases": pStrings, "kill_chain_phases": pKillChain, "first_seen": pTime, "last_seen": pTime,
			"operating_system_refs": refs("software"), "architecture_execution_envs": pStrings,
			"implementation_languages": pStrings, "capabilities": pStrings,
			"sample_refs": refs("file", "artifact"),
		}},
		"malware-analysis": {class: classSDO, required: []string{"product"}, check: checkMalwareAnalysis, props: map[string]prop{
			"product": pString, "version": pString, "host_vm_ref": ref("software"),
			"operating_system_ref": ref("software"), "installed_software_refs": refs("software"),
			"configuration_version": pString, "modules": pStrings, "analysis_engine_version": pString,
			"analysis_definition_version": pString, "submitted": pTime, "analysis_started": pTime,
			"analysis_ended": pTime, "result_name": pString, "result": pString,
			"analysis_sco_refs": pAnyRefs, "sample_ref": ref("file", "network-traffic", "artifact"),
		}},
		"note": {class: classSDO, required: []string{"content", "object_refs"}, props: map[string]prop{
			"abstract": pString, "content": pString, "authors": pStrings, "object_refs": pAnyRefs,
		}},
		"observed-data": {class: classSDO, required: []string{"first_observed", "last_observed", "number_observed"}, check: checkObservedData, props: map[string]prop{
			"first_observed": pTime, "last_observed": pTime, "number_observed": intIn(1, maxCount),
			"objects": {kind: kObservables}, "object_refs": {kind: kRefs, deny: sdoTypes},
		}},
		"opinion": {class: classSDO, required: []string{"opinion", "object_refs"}, props: map[string]prop{
			"explanation": pString, "authors": pStrings, "object_refs": pAnyRefs,
			"opinion": enum("strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"),
		}},
		"report": {class: classSDO, required: []string{"name", "published", "object_refs"}, props: map[string]prop{
			"name": pString, "description": pString, "report_types": pStrings, "published": pTime,
			"object_refs": pAnyRefs,
		}},
		"threat-actor": {class: classSDO, required: []string{"name"}, check: checkSeen, props: map[string]prop{
			"name": pString, "description": pString, "threat_actor_types": pStrings, "aliases": pStrings,
			"first_seen": pTime, "last_seen": pTime, "roles": pStrings, "goals": pStrings,
			"sophistication": pString, "resource_level": pString, "primary_motivation": pString,
			"secondary_motivations": pStrings, "personal_motivations": pStrings,
		}},
		"tool": {class: classSDO, required: []string{"name"}, props: map[string]prop{
			"name": pString, "description": pString, "tool_types": pStrings, "aliases": pStrings,
			"kill_chain_phases": pKillChain, "tool_version": pString,
		}},
		"vulnerability": {class: classSDO, required: []string{"name"}, props: map[string]prop{
			"name": pString, "description": pString,
		}},

		// SROs (STIX 2.1 §5).
		"relationship": {class: classSRO, required: []string{"relationship_type", "source_ref", "target_ref"}, check: checkRelationship, props: map[string]prop{
			"relationship_type": pString, "description": pString,
			"source_ref": {kind: kRef, deny: notRefTargets}, "target_ref": {kind: kRef, deny: notRefTargets},
			"start_time": pTime, "stop_time": pTime,
		}},
		"sighting": {class: classSRO, required: []string{"sighting_of_ref"}, check: checkSighting, props: map[string]prop{
			"description": pString, "first_seen": pTime, "last_seen": pTime, "count": intIn(0, maxCount),
			"sighting_of_ref": {kind: kRef, deny: notRefTargets}, "observed_data_refs": refs("observed-data"),
			"where_sighted_refs": refs("identity", "location"), "summary": pBool,
		}},

		// SCOs (STIX 2.1 §6).
		"artifact": {class: classSCO, check: checkArtifact, props: map[string]prop{
			"mime_type": pString, "payload_bin": pString, "url": pString, "hashes": pHashes,
			"encryption_algorithm": enum("AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"),
			"decryption_key":       pString,
		}},
		"autonomous-system": {class: classSCO, required: []string{"number"}, props: map[string]prop{
			"number": pUint, "name": pString, "rir": pString,
		}},
		"directory": {class: classSCO, required: []string{"path"}, check: checkDirectory, props: map[string]prop{
			"path": pString, "path_enc": pString, "ctime": pTime, "mtime": pTime, "atime": pTime,
			"contains_refs": refs("file", "directory"),
		}},
		"domain-name": {class: classSCO, required: []string{"value"}, props: map[string]prop{
			"value": pString, "resolves_to_refs": refs("ipv4-addr", "ipv6-addr", "domain-name"),
		}},
		"email-addr": {class: classSCO, required: []string{"value"}, props: map[string]prop{
			"value": pString, "display_name": pString, "belongs_to_ref": ref("user-account"),
		}},
		"email-message": {class: classSCO, required: []string{"is_multipart"}, check: checkEmailMessage, props: map[string]prop{
			"is_multipart": pBool, "date": pTime, "content_type": pString,
			"from_ref": ref("email-addr"), "sender_ref": ref("email-addr"), "to_refs": refs("email-addr"),
			"cc_refs": refs("email-addr"), "bcc_refs": refs("email-addr"), "message_id": pString,
			"subject": pString, "received_lines": pStrings, "additional_header_fields": pDict,
			"body": pString, "body_multipart": {kind: kMimeParts}, "raw_email_ref": ref("artifact"),
		}},
		"file": {class: classSCO, check: checkFile, props: map[string]prop{
			"hashes": pHashes, "size": pUint, "name": pString, "name_enc": pString,
			"magic_number_hex": pString, "mime_type": pString, "ctime": pTime, "mtime": pTime, "atime": pTime,
			"parent_directory_ref": ref("directory"), "contains_refs": pAnyRefs, "content_ref": ref("artifact"),
		}},
		"ipv4-addr": {class: classSCO, required: []string{"value"}, check: checkIPv4, props: map[string]prop{
			"value": pString, "resolves_to_refs": refs("mac-addr"), "belongs_to_refs": refs("autonomous-system"),
		}},
		"ipv6-addr": {class: classSCO, required: []string{"value"}, check: checkIPv6, props: map[string]prop{
			"value": pString, "resolves_to_refs": refs("mac-addr"), "belongs_to_refs": refs("autonomous-system"),
		}},
		"mac-addr": {class: classSCO, required: []string{"value"}, check: checkMAC, props: map[string]prop{
			"value": pString,
		}},
		"mutex": {class: classSCO, required: []string{"name"}, props: map[string]prop{
			"name": pString,
		}},
		"network-traffic": {class: classSCO, required: []string{"protocols"}, check: checkNetworkTraffic, props: map[string]prop{
			"start": pTime, "end": pTime, "is_active": pBool,
			"src_ref":  ref("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"),
			"dst_ref":  ref("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"),
			"src_port": pPort, "dst_port": pPort, "protocols": pStrings,
			"src_byte_count": pInt, "dst_byte_count": pInt, "src_packets": pInt, "dst_packets": pInt,
			"ipfix": pDict, "src_payload_ref": ref("artifact"), "dst_payload_ref": ref("artifact"),
			"encapsulates_refs": refs("network-traffic"), "encapsulated_by_ref": ref("network-traffic"),
		}},
		"process": {class: classSCO, atLeastOne: []string{
			"extensions", "is_hidden", "pid", "created_time", "cwd", "command_line", "environment_variables",
			"opened_connection_refs", "creator_user_ref", "image_ref", "parent_ref", "child_refs",
		}, props: map[string]prop{
			"is_hidden": pBool, "pid": pInt, "created_time": pTime, "cwd": pString, "command_line": pString,
			"environment_variables": pDict, "opened_connection_refs": refs("network-traffic"),
			"creator_user_ref": ref("user-account"), "image_ref": ref("file"), "parent_ref": ref("process"),
			"child_refs": refs("process"),
		}},
		"software": {class: classSCO, required: []string{"name"}, check: checkSoftware, props: map[string]prop{
			"name": pString, "cpe": pString, "swid": pString, "languages": pStrings, "vendor": pString,
			"version": pString,
		}},
		"url": {class: classSCO, required: []string{"value"}, props: map[string]prop{
			"value": pString,
		}},
		"user-account": {class: classSCO, atLeastOne: []string{
			"extensions", "user_id", "credential", "account_login", "account_type", "display_name",
			"is_service_account", "is_privileged", "can_escalate_privs", "is_disabled", "account_created",
			"account_expires", "credential_last_changed", "account_first_login", "account_last_login",
		}, props: map[string]prop{
			"user_id": pString, "credential": pString, "account_login": pString, "account_type": pString,
			"display_name": pString, "is_service_account": pBool, "is_privileged": pBool,
			"can_escalate_privs": pBool, "is_disabled": pBool, "account_created": pTime,
			"account_expires": pTime, "credential_last_changed": pTime, "account_first_login": pTime,
			"account_last_login": pTime,
		}},
		"windows-registry-key": {class: classSCO, check: checkRegistryKey, atLeastOne: []string{
			"key", "values", "modified_time", "creator_user_ref", "number_of_subkeys",
		}, props: map[string]prop{
			"key": pString, "values": {kind: kRegValues}, "modified_time": pTime,
			"creator_user_ref": ref("user-account"), "number_of_subkeys": pInt,
		}},
		"x509-certificate": {class: classSCO, atLeastOne: []string{
			"is_self_signed", "hashes", "version", "serial_number", "signature_algorithm", "issuer",
			"validity_not_before", "validity_not_after", "subject", "subject_public_key_algorithm",
			"subject_public_key_modulus", "subject_public_key_exponent", "x509_v3_extensions",
		}, props: map[string]prop{
			"is_self_signed": pBool, "hashes": pHashes, "version": pString, "serial_number": pString,
			"signature_algorithm": pString, "issuer": pString, "validity_not_before": pTime,
			"validity_not_after": pTime, "subject": pString, "subject_public_key_algorithm": pString,
			"subject_public_key_modulus": pString, "subject_public_key_exponent": pInt,
			"x509_v3_extensions": pObject,
		}},

		// Meta objects (STIX 2.1 §7).
		"marking-definition": {class: classMarking, check: checkMarkingDefinition, props: markingProps},
		"language-content": {class: classMeta, required: []string{"object_ref", "contents"}, check: checkLanguageContent, props: map[string]prop{
			"object_ref":      {kind: kRef, deny: []string{"bundle", "language-content"}},
			"object_modified": pTime, "contents": pDict,
		}},
		"extension-definition": {class: classMeta, required: []string{"name", "schema", "version", "extension_types", "created_by_ref"}, check: checkExtensionDefinition, props: map[string]prop{
			"name": pString, "description": pString, "schema": pString, "version": pString,
			"extension_types": enums(extensionTypes...), "extension_properties": pStrings,
		}},
	}
}

// extensionTypes is the closed extension-type-enum (STIX 2.1 §7.3).
var extensionTypes = []string{"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}

// reservedProps may not appear on SDOs, SROs or SCOs (STIX 2.1 reserves them
// for future use; the OASIS core schemas reject them).
var reservedProps = []string{"action", "phone_numbers", "severity", "username"}

// reservedTypes may not be used as the type of a custom object.
var reservedTypes = []string{"action", "bundle"}
