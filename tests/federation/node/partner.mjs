// A partner's subgraph for the federation proof: it extends the referential's Structure and
// Commune with fields of its own, and lists a few of them (ids from the environment).
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';

const typeDefs = parse(readFileSync(new URL('./partner.graphql', import.meta.url), 'utf8'));
const list = (name) => (process.env[name] || '').split(',').filter(Boolean);
const resolvers = {
  Query: {
    partnerPicks: () => list('PICKS').map((id) => ({ id })),
    partnerMaybe: () => (process.env.MAYBE ? { id: process.env.MAYBE } : null),
    partnerTowns: () => list('TOWNS').map((code) => ({ code })),
  },
  Structure: {
    __resolveReference: (ref) => ({ id: ref.id }),
    partnerNote: (s) => `note for ${s.id}`,
  },
  Commune: {
    __resolveReference: (ref) => ({ code: ref.code }),
    partnerEvents: (c) => Number(c.code.slice(-2)),
  },
};

const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]) });
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: Number(process.env.PORT) },
});
console.log(`partner subgraph at ${url}`);
