"""Root fields of the merged services."""

import strawberry

from resolvers.filters import ServiceFilterArg
from resolvers.root_pages import record_field, records_field
from resolvers.services.types import Service, ServiceConnection


@strawberry.type
class ServiceQueries:
    service = record_field(
        Service,
        "One merged service by its id or by the id of any producer record merged into it "
        "(`dora--s1`, `soliguide--884-aide-alimentaire`…); null when unknown.",
        "A service id, or the id of any producer record merged into it.",
    )
    services = records_field(
        Service,
        ServiceConnection,
        ServiceFilterArg,
        "Merged services, a page at a time (by id unless `orderBy` says otherwise).",
    )
