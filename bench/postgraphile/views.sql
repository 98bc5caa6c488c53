-- The golden tables as PostGraphile v5 sees them for `make bench-compare`: typed views in a
-- schema of their own (`pgl`), the anonymous consumer's view only (golden rows of visibility
-- `all` or `public`, not deleted: restricted producers' data left out, as the gateway serves a
-- request without a token), relations declared by smart comments. Read-only; re-created from
-- scratch by scripts/bench_compare.py (DROP SCHEMA pgl CASCADE first). Touches nothing outside
-- the schema `pgl`.

CREATE SCHEMA pgl;

-- producers
CREATE VIEW pgl.sources AS
SELECT s.slug::text AS slug, s.nom::text AS nom, s.description::text AS description,
       s.homepage::text AS homepage
FROM public.source s;

COMMENT ON VIEW pgl.sources IS E'@primaryKey slug\nA producer.';

-- territories: the départements and every commune (current ones and municipal arrondissements)
CREATE VIEW pgl.departements AS
SELECT d.code::text AS code, d.nom::text AS nom, d.region_code::text AS region_code
FROM public.departement d;

COMMENT ON VIEW pgl.departements IS E'@primaryKey code';

CREATE VIEW pgl.communes AS
SELECT c.code::text AS code, c.nom::text AS nom, c.departement_code::text AS departement_code,
       c.type::text AS type
FROM public.commune c;

COMMENT ON VIEW pgl.communes IS
E'@primaryKey code\n@foreignKey (departement_code) references pgl.departements (code)|@fieldName departement|@foreignFieldName communes';

-- The current commune an INSEE code designates, as the gateway's `commune` edge resolves it: a
-- current commune's own code, otherwise its alias (a municipal arrondissement, then a delegated
-- commune, an associated one, a former code). An inlinable SQL function, not exposed.
CREATE FUNCTION pgl.current_commune(code text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(
    (SELECT c.code::text FROM public.commune c
      WHERE c.code = $1 AND c.type = 'commune-actuelle'),
    (SELECT a.commune_code::text FROM public.commune_alias a
      WHERE a.code = $1
      ORDER BY CASE a.kind WHEN 'arrondissement-municipal' THEN 0 WHEN 'commune-deleguee' THEN 1
                           WHEN 'commune-associee' THEN 2 WHEN 'ancien-code' THEN 3 ELSE 9 END,
               a.commune_code
      LIMIT 1))
$$;

COMMENT ON FUNCTION pgl.current_commune(text) IS E'@behavior -*';

-- a JSON array of strings as text[] (null or absent: empty, as the gateway serves list fields)
CREATE FUNCTION pgl.texts(value jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array(SELECT jsonb_array_elements_text(
    CASE WHEN jsonb_typeof($1) = 'array' THEN $1 ELSE '[]'::jsonb END)), '{}')
$$;

COMMENT ON FUNCTION pgl.texts(jsonb) IS E'@behavior -*';

-- merged structures: every scalar the structure page reads
CREATE VIEW pgl.structures AS
SELECT g.public_id::text AS id,
       g.data->>'nom' AS nom,
       left(g.data->>'date_maj', 10)::date AS date_maj,
       g.data->>'description' AS description,
       g.data->>'lien_source' AS lien_source,
       g.data->>'siret' AS siret,
       g.data->>'code_postal' AS code_postal,
       g.data->>'code_insee' AS code_insee,
       pgl.current_commune(g.data->>'code_insee') AS commune_code,
       g.data->>'adresse' AS adresse,
       g.data->>'complement_adresse' AS complement_adresse,
       (g.data->>'longitude')::float8 AS longitude,
       (g.data->>'latitude')::float8 AS latitude,
       g.data->>'telephone' AS telephone,
       g.data->>'courriel' AS courriel,
       g.data->>'site_web' AS site_web,
       g.data->>'horaires_accueil' AS horaires_accueil,
       g.data->>'accessibilite_lieu' AS accessibilite_lieu,
       pgl.texts(g.data->'reseaux_porteurs') AS reseaux_porteurs,
       g.score_qualite AS score_qualite
FROM public.golden_record g
WHERE g.kind = 'structure' AND g.visibility IN ('all', 'public') AND g.deleted_at IS NULL;

COMMENT ON VIEW pgl.structures IS
E'@primaryKey id\n@foreignKey (commune_code) references pgl.communes (code)|@fieldName commune|@foreignFieldName structures\nA merged structure (anonymous view).';

-- merged services; `tags` (the GIN-indexed filter values) only for pgl.search_services
CREATE VIEW pgl.services AS
SELECT g.public_id::text AS id,
       g.structure_public_id::text AS structure_id,
       g.data->>'nom' AS nom,
       g.data->>'description' AS description,
       g.data->>'type' AS type,
       pgl.texts(g.data->'thematiques') AS thematiques,
       g.data->>'frais' AS frais,
       pgl.texts(g.data->'publics') AS publics,
       pgl.texts(g.data->'modes_accueil') AS modes_accueil,
       g.data->>'code_insee' AS code_insee,
       pgl.current_commune(g.data->>'code_insee') AS commune_code,
       g.score_qualite AS score_qualite,
       g.tags AS tags
FROM public.golden_record g
WHERE g.kind = 'service' AND g.visibility IN ('all', 'public') AND g.deleted_at IS NULL;

COMMENT ON VIEW pgl.services IS
E'@primaryKey id\n@foreignKey (structure_id) references pgl.structures (id)|@fieldName structure|@foreignFieldName services\n@foreignKey (commune_code) references pgl.communes (code)|@fieldName commune|@foreignFieldName services\nA merged service (anonymous view).';

COMMENT ON COLUMN pgl.services.tags IS E'@behavior -*';

-- the producers behind each merged record (members of the anonymous golden row)
CREATE VIEW pgl.service_sources AS
SELECT DISTINCT g.public_id::text AS service_id, r.source_slug::text AS source_slug
FROM public.golden_record g
JOIN public.golden_member m ON m.golden_id = g.id
JOIN public.producer_record r ON r.id = m.record_id
WHERE g.kind = 'service' AND g.visibility IN ('all', 'public') AND g.deleted_at IS NULL;

COMMENT ON VIEW pgl.service_sources IS
E'@primaryKey service_id,source_slug\n@foreignKey (service_id) references pgl.services (id)|@fieldName service|@foreignFieldName serviceSources\n@foreignKey (source_slug) references pgl.sources (slug)|@fieldName source|@foreignFieldName serviceSources';

CREATE VIEW pgl.structure_sources AS
SELECT DISTINCT g.public_id::text AS structure_id, r.source_slug::text AS source_slug
FROM public.golden_record g
JOIN public.golden_member m ON m.golden_id = g.id
JOIN public.producer_record r ON r.id = m.record_id
WHERE g.kind = 'structure' AND g.visibility IN ('all', 'public') AND g.deleted_at IS NULL;

COMMENT ON VIEW pgl.structure_sources IS
E'@primaryKey structure_id,source_slug\n@foreignKey (structure_id) references pgl.structures (id)|@fieldName structure|@foreignFieldName structureSources\n@foreignKey (source_slug) references pgl.sources (slug)|@fieldName source|@foreignFieldName structureSources';

-- The search page's filter, as the gateway runs it on PostgreSQL: services in the département
-- holding one of the thematiques (categories already expanded into their thematiques by the
-- caller), through the same GIN-indexed tags (the arguments qualified: in a SQL function a
-- column of the same name would win). Inlinable (one SELECT, STABLE): PostGraphile's
-- ORDER BY, LIMIT and count(*) reach the scan.
CREATE FUNCTION pgl.search_services(code_departement text, thematiques text[])
RETURNS SETOF pgl.services
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT s.* FROM pgl.services s
  WHERE s.tags && ARRAY['departement:' || search_services.code_departement]
    AND s.tags && ARRAY(SELECT 'thematique:' || t FROM unnest(search_services.thematiques) t)
$$;

COMMENT ON FUNCTION pgl.search_services(text, text[]) IS
E'@behavior +order +orderBy\nServices of a département on one of the thematiques.';
