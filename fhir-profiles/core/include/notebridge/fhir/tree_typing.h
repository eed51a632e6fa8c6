#pragma once

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"

namespace notebridge::fhir {

// Gives a tree built by code (Element::makeResource, addChild, ...) what the parsers give a
// parsed tree: the PropertyInfo of every node, choice base lengths, indexes of repeating
// properties (0..n-1; -1 for single ones), and children in definition order, so writeJson and
// writeXml produce canonical output and validators see definitions. Empty node types are filled
// from the definition (the type a choice name selects, "BackboneElement", ...).
// Issues (error) name unknown properties, a repeated single property, and resources of unknown
// type; such nodes are left as they are. The root must be a resource (or a complex node whose
// type() names a datatype). Not thread-safe for the tree; the registry may be shared.
Outcome assignDefinitions(Element& root, const DefinitionRegistry& registry);

}  // namespace notebridge::fhir
