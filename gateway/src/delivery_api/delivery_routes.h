#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "notebridge/gateway/router.h"
#include "notebridge/gateway/store.h"

namespace notebridge::gateway {

// The internal delivery API (API key): GET /deliveries?state=&destination=&note=&_count=&after=,
// GET /notes/{id}/deliveries, POST /deliveries/{id}/retry (dead-letter -> pending). `wake`
// (may be null) tells the workers that a row is due.
std::vector<Route> deliveryRoutes(std::shared_ptr<Store> store, std::function<void()> wake);

}  // namespace notebridge::gateway
