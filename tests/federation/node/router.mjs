// Apollo Gateway on a local supergraph (no Apollo Studio, no uplink, no telemetry), passing the
// client's Authorization header to the subgraphs.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { readFileSync } from 'node:fs';

if (process.env.APOLLO_TELEMETRY_DISABLED !== '1') {
  console.error('set APOLLO_TELEMETRY_DISABLED=1: nothing may leave the machine');
  process.exit(2);
}
delete process.env.APOLLO_KEY;
delete process.env.APOLLO_GRAPH_REF;

class Forwarding extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context.authorization) request.http.headers.set('authorization', context.authorization);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.argv[2], 'utf8'),
  buildService: ({ url }) => new Forwarding({ url }),
});
const server = new ApolloServer({ gateway, plugins: [ApolloServerPluginLandingPageDisabled()] });
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: Number(process.env.PORT) },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(`router at ${url}`);
