// Compose subgraphs with The Guild's composition library (the one Hive uses), to check that our
// subgraph's federation version is one it accepts too.
// usage: node compose-guild.mjs OUT.graphql name=URL=SDL_FILE ...
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { readFileSync, writeFileSync } from 'node:fs';

const [out, ...specs] = process.argv.slice(2);
const services = specs.map((spec) => {
  const [name, url, file] = spec.split('=');
  return { name, url, typeDefs: parse(readFileSync(file, 'utf8')) };
});
const result = composeServices(services);
if (result.errors && result.errors.length > 0) {
  for (const e of result.errors) console.error(`[${e.extensions?.code ?? 'ERROR'}] ${e.message}`);
  process.exit(1);
}
writeFileSync(out, result.supergraphSdl);
console.error(`composed ${services.length} subgraphs into ${out}`);
