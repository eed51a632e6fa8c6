#pragma once

#include <memory>

#include "notebridge/fhir/definitions.h"
#include "notebridge/gateway/gateway_config.h"
#include "notebridge/gateway/router.h"
#include "notebridge/gateway/store.h"
#include "notebridge/validation/validator.h"

namespace notebridge::gateway {

// Adds the FHIR REST API (https://hl7.org/fhir/R4/http.html) for every served resource type:
// create, read, vread, update, history (instance and type) and search, each route listing its
// interactions so the CapabilityStatement and the scope checks follow from it.
// With a validator, incoming resources must validate (422 otherwise) and $validate is served.
void addFhirRoutes(Router& router, std::shared_ptr<Store> store,
                   std::shared_ptr<const fhir::DefinitionRegistry> registry,
                   std::shared_ptr<const validation::Validator> validator,
                   const GatewayConfig& config);

// Answers 200 with a FHIR JSON document in the format the client negotiated (_format, Accept):
// JSON as is, or converted to XML. For documents the gateway makes itself (the
// CapabilityStatement).
void sendNegotiated(HttpExchange& exchange, const std::string& json,
                    const fhir::DefinitionRegistry& registry);

}  // namespace notebridge::gateway
