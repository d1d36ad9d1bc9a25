/** The header's user menu: who is logged in (name, email, role, customer) and "Log out". */
import { Avatar, Menu, Text, UnstyledButton } from '@mantine/core';
import { useNavigate } from 'react-router-dom';
import { useSession, type SessionUser } from '../auth/session';

const ROLE_NAMES: Record<SessionUser['role'], string> = { operator: 'Operator', admin: 'Administrator', agent: 'Agent' };

function initials(user: SessionUser): string {
  const words = (user.name || user.email).split(/[\s@.]+/).filter(Boolean);
  return words.slice(0, 2).map((w) => w[0]!.toUpperCase()).join('');
}

export function UserMenu({ user }: { user: SessionUser }) {
  const { logout } = useSession();
  const navigate = useNavigate();
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label={`User menu of ${user.email}`}>
          <Avatar color="indigo" radius="xl" size="md">{initials(user)}</Avatar>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          <Text size="sm" fw={600} c="var(--mantine-color-text)">{user.name || user.email}</Text>
          <Text size="xs">{user.email}</Text>
          <Text size="xs">{ROLE_NAMES[user.role]}{user.tenantName ? ` · ${user.tenantName}` : ''}{user.extension ? ` · extension ${user.extension}` : ''}</Text>
        </Menu.Label>
        <Menu.Divider />
        <Menu.Item
          onClick={() => {
            void logout().then(() => navigate('/login', { replace: true }));
          }}
        >
          Log out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
