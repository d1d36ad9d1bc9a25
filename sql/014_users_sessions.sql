-- People who log in to the portal (src/domain/users.ts), their server-side sessions
-- (src/domain/user-sessions.ts, the @fastify/session store) and their one-time invite and reset
-- links (src/domain/user-tokens.ts).
--
-- users: `operator` acts on every customer and has no tenant; `admin` and `agent` belong to one
-- customer. The email is kept lower-case and unique across all customers (it is the login). The
-- password is an argon2id PHC string, null until an invite is accepted. An agent's extension must
-- be its own customer's (the composite key makes PostgreSQL refuse another tenant's extension,
-- as in sql/005). Under row-level security like every tenant-owned table: switchplane_app sees
-- its tenant's users; switchplane_operator sees every user, since a login or a session cookie
-- is checked before the tenant is known (as API keys are, sql/004).
--
-- user_sessions: only the SHA-256 of a session id is stored, with the user, the session's data
-- (the cookie's settings and the CSRF secret) and when it ends; only switchplane_operator reads
-- and writes them.
--
-- user_tokens: an invite or reset link's SHA-256, its purpose, when it ends and when it was used
-- (once). The customer's admin makes them through switchplane_app (its own tenant's users); the
-- login path redeems them as switchplane_operator.
create table users (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid references tenants(id) on delete cascade,
  email text not null unique check (email = lower(email) and email ~ '^[^@[:space:]]+@[^@[:space:]]+$' and length(email) <= 254),
  name text not null check (length(name) between 1 and 200),
  password_hash text check (password_hash like '$argon2id$%'),
  role text not null check (role in ('operator', 'admin', 'agent')),
  extension_id uuid,
  status text not null default 'invited' check (status in ('active', 'invited', 'disabled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_login_at timestamptz,
  constraint users_role_tenant_check check ((role = 'operator') = (tenant_id is null)),
  constraint users_tenant_id_extension_id_fkey
    foreign key (tenant_id, extension_id) references extensions (tenant_id, id) on delete set null (extension_id)
);
create index users_tenant on users (tenant_id, email);

create table user_sessions (
  id_hash text primary key check (id_hash ~ '^[0-9a-f]{64}$'),
  user_id uuid not null references users(id) on delete cascade,
  data jsonb not null,
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index user_sessions_user on user_sessions (user_id);
create index user_sessions_expiry on user_sessions (expires_at);

create table user_tokens (
  token_hash text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
  tenant_id uuid references tenants(id) on delete cascade,
  user_id uuid not null,
  purpose text not null check (purpose in ('invite', 'reset')),
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  foreign key (user_id) references users(id) on delete cascade
);
create index user_tokens_user on user_tokens (user_id);

grant select, insert, update, delete on users to switchplane_app;
grant select, insert, update on user_tokens to switchplane_app;
grant select, insert, update, delete on users, user_sessions, user_tokens to switchplane_operator;

alter table users enable row level security;
alter table user_tokens enable row level security;
alter table user_sessions enable row level security;
create policy tenant_isolation on users to switchplane_app
  using (tenant_id = switchplane_current_tenant()) with check (tenant_id = switchplane_current_tenant());
create policy tenant_isolation on user_tokens to switchplane_app
  using (tenant_id = switchplane_current_tenant()) with check (tenant_id = switchplane_current_tenant());
create policy operator_all on users to switchplane_operator using (true) with check (true);
create policy operator_all on user_tokens to switchplane_operator using (true) with check (true);
create policy operator_all on user_sessions to switchplane_operator using (true) with check (true);
