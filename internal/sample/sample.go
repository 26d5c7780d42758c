// Package sample holds the small, fictitious STIX 2.1 data set that
// `phalanx up` loads into a new network so there is something to search.
package sample

import _ "embed"

// Bundle is a STIX 2.1 bundle: a fictitious actor, malware, campaign,
// attack pattern, vulnerability, six indicators (IP, CIDR, domain, URL,
// SHA-256, e-mail), their relationships and a report.
//
//go:embed sample.json
var Bundle []byte
