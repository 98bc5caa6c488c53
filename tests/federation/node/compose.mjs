// Compose subgraphs into a supergraph with Apollo's composition library.
// usage: node compose.mjs OUT.graphql name=URL=SDL_FILE ...
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { readFileSync, writeFileSync } from 'node:fs';

const [out, ...specs] = process.argv.slice(2);
const services = specs.map((spec) => {
  const [name, url, file] = spec.split('=');
  return { name, url, typeDefs: parse(readFileSync(file, 'utf8')) };
});
const result = composeServices(services);
if (result.errors) {
  for (const e of result.errors) console.error(`[${e.extensions?.code ?? 'ERROR'}] ${e.message}`);
  process.exit(1);
}
writeFileSync(out, result.supergraphSdl);
console.error(`composed ${services.length} subgraphs into ${out}`);
