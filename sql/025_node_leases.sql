-- One owner per FreeSWITCH node (src/esl/node-ownership.ts). Every running Switchplane instance
-- announces itself in switchplane_instances and renews its row every few seconds; a node's event
-- socket is held, and its events handled, only by the instance named in its node_leases row while
-- expires_at is ahead of the database's clock (now()). Taking a lease that is free or expired is
-- one conditional statement (insert ... on conflict do update ... where expires_at < now()
-- returning), so two instances never both get it; renewing sets expires_at again for the leases
-- the instance still owns; a released or lost lease closes the node's event socket at once.
-- Times come from the database only, so the instances' clocks need not agree.
create table switchplane_instances (
  id text primary key check (length(id) between 1 and 200),
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now(),
  expires_at timestamptz not null
);

create table node_leases (
  node_id uuid primary key references freeswitch_nodes(id) on delete cascade,
  owner text not null,
  acquired_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index node_leases_owner on node_leases (owner);

grant select, insert, update, delete on switchplane_instances, node_leases to switchplane_operator;
