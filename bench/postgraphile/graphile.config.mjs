// PostGraphile v5 for `make bench-compare`: the Amber preset (PostGraphile's own defaults) in
// production shape: no GraphiQL (Ruru), no explain, no watch mode, no websockets. The
// connection (-c), the schema (-s pgl), host and port come from the command line that
// scripts/bench_compare.py runs; NODE_ENV=production is set there too.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  grafserv: {
    graphiql: false,
    watch: false,
    websockets: false,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
