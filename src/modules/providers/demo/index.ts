// Tollgate's built-in demo upstream (DEMO_UPSTREAM, on outside production): model `tollgate-demo`, free, answered in
// process by an OpenAI-compatible responder (responder.ts), so a newcomer can call the gateway before anyone has
// mounted an upstream account. It is not a shortcut: requests take the real path — router (routing/demo-candidates.ts),
// the openai adapter, the upstream client (which hands this origin to the responder), meter, billing at price 0.

export { DEMO_MODEL, DEMO_MODEL_ID, DEMO_ORIGIN, DEMO_PROVIDER } from './model.ts';
export { createDemoUpstream, type DemoUpstream } from './responder.ts';
