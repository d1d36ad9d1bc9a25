-- Where each running instance's API is reached by the others (PEER_URL): an API request about a
-- call on a FreeSWITCH node another instance owns is forwarded to that owner
-- (src/api/call-forwarding.ts). Set by every announcement (src/domain/node-leases.ts
-- announceInstance); null for an instance that does not give one, which is never forwarded to.
alter table switchplane_instances add column url text check (url is null or length(url) between 1 and 2000);
