"""Members of an account (P16): invitations with expiring tokens, roles and project limits, removal, and
API key rotation.

Roles: viewer (read), member (write data), admin (keys and members), owner (billing, deletion of the
account, and what admins do). Only an owner makes or unmakes an owner, and an account always keeps one.
The operator sets a role from the command line (`promptwatch users set-role`), e.g. to give an owner back
to an account a restore left without one.

A revoked invitation, a removed member and a changed role or project limit go into the deletion ledger
(ids only) just before their commit, so that a restore of an older backup keeps them (`services/backups.py`).

The invitation mail is queued on the outbox in the transaction that stores the invitation; it links to
`/ui/invitation?token=…` on the instance's address for mail. The API reply carries the token and link as
well, on the address the request reached (`public_address`), so an admin can pass it on by hand when the
instance sends no mail.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from ..errors import Conflict, Gone, InvalidInput, NotFound
from ..store import accounts as account_store
from ..store import members as store
from ..store.tables.accounts import ROLES
from . import audit
from .accounts import check_email, key_id_of
from .clock import utc_now
from .credentials import Caller, token_hash
from .mail import MailService
from .public_address import public_base
from .runtime import Runtime

INVITATION_PREFIX = "pwi_"
MIN_PASSWORD = 8


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    return role


class MemberService:
    def __init__(self, runtime: Runtime, mail: MailService) -> None:
        self._rt = runtime
        self._mail = mail

    # invitations
    def invite(
        self, caller: Caller, email: str, role: str, projects: list[str] | None, hours: int | None, request_base: str
    ) -> dict:
        caller.require_role("admin", account_wide=True)
        check_email(email)
        _check_role(role)
        if role == "owner":
            caller.require_role("owner")
        hours = hours or self._rt.settings.invitation_ttl_hours
        if not 1 <= hours <= 24 * 30:
            raise InvalidInput("an invitation lasts between 1 hour and 30 days", field="expires_in_hours")
        names = sorted(set(projects or []))
        token = INVITATION_PREFIX + secrets.token_urlsafe(32)
        now = utc_now()
        expires_at = now + timedelta(hours=hours)
        page = f"/ui/invitation?token={token}"
        with self._rt.engine.begin() as conn:
            for name in names:
                account_store.ensure_project(conn, caller.account_id, name, now)
            invitation_id = store.insert_invitation(
                conn,
                account_id=caller.account_id,
                token_hash=token_hash(token),
                email=email,
                role=role,
                projects=names or None,
                invited_by=caller.user_id,
                created_at=now,
                expires_at=expires_at,
            )
            details = {"role": role, "projects": names}
            audit.record(conn, caller.account_id, caller, "member.invite", f"invitation:{invitation_id}", details)
            inviter = account_store.get_user(conn, caller.user_id) if caller.user_id else None
            self._mail.send_invitation_mail(
                email,
                account_name=account_store.get_account(conn, caller.account_id)["name"],
                accept_url=public_base(self._rt.settings) + page,
                inviter_email=inviter["email"] if inviter else None,
                expires_at=expires_at,
                conn=conn,
            )
        invitation = {
            "id": invitation_id,
            "email": email,
            "role": role,
            "projects": names,
            "expires_at": expires_at,
            "token": token,
            "link": public_base(self._rt.settings, request_base) + page,
            "accept": "POST /api/v1/invitations/accept",
        }
        return invitation

    def invitations(self, caller: Caller) -> list[dict]:
        caller.require_role("admin", account_wide=True)
        with self._rt.engine.connect() as conn:
            return [dict(r) for r in store.list_invitations(conn, caller.account_id)]

    def revoke_invitation(self, caller: Caller, invitation_id: int) -> None:
        caller.require_role("admin", account_wide=True)
        now = utc_now()
        with self._rt.engine.begin() as conn:
            if not store.revoke_invitation(conn, caller.account_id, invitation_id, now):
                raise NotFound(f"no open invitation {invitation_id}")
            audit.record(conn, caller.account_id, caller, "member.invitation_revoke", str(invitation_id))
            entry = {"kind": "invitation_revoked", "at": now, "account_id": caller.account_id}
            self._rt.ledger.append({**entry, "invitation_id": invitation_id})

    def accept(self, token: str, password: str | None) -> dict:
        """The token proves the invitee reads that mailbox: an existing user with that e-mail is linked,
        a new one is created with `password`."""
        now = utc_now()
        with self._rt.engine.begin() as conn:
            invitation = store.find_invitation(conn, token_hash(token))
            if invitation is None:
                raise NotFound("unknown invitation")
            if invitation["revoked_at"] or invitation["accepted_at"] or invitation["expires_at"] <= now:
                raise Gone("this invitation was revoked, already used or has expired")
            user = account_store.find_user_by_email(conn, invitation["email"])
            created = user is None
            if created:
                if not password or len(password) < MIN_PASSWORD:
                    raise InvalidInput(f"choose a password of at least {MIN_PASSWORD} characters", field="password")
                user_id = account_store.create_user(conn, invitation["email"], self._rt.passwords.hash(password), now)
            else:
                user_id = user["id"]
            account_id = invitation["account_id"]
            if store.membership(conn, account_id, user_id) is not None:
                raise Conflict("this person is already a member of the account")
            if not store.mark_accepted(conn, invitation["id"], user_id, now):
                raise Gone("this invitation was used meanwhile")
            account_store.add_membership(conn, account_id, user_id, invitation["role"], now)
            names = invitation["projects"] or []
            ids = [account_store.ensure_project(conn, account_id, name, now) for name in names]
            store.set_project_limits(conn, account_id, user_id, ids)
            audit.record(
                conn,
                account_id,
                f"user:{user_id}",
                "member.join",
                f"user:{user_id}",
                {"role": invitation["role"], "projects": names, "invitation": invitation["id"]},
            )
        return {
            "account_id": account_id,
            "email": invitation["email"],
            "role": invitation["role"],
            "projects": names,
            "user_created": created,
        }

    # roles and project limits
    def update(self, caller: Caller, user_id: int, role: str | None, projects: list[str] | None) -> dict:
        caller.require_role("admin", account_wide=True)
        if role is not None:
            _check_role(role)
        now = utc_now()
        with self._rt.engine.begin() as conn:
            current = store.membership(conn, caller.account_id, user_id)
            if current is None:
                raise NotFound(f"no member {user_id} in this account")
            if "owner" in (role, current["role"]) and role not in (None, current["role"]):
                caller.require_role("owner")
                if current["role"] == "owner" and store.count_owners(conn, caller.account_id) <= 1:
                    raise Conflict("the account must keep at least one owner")
            if role is not None:
                store.set_role(conn, caller.account_id, user_id, role)
            ids = None
            if projects is not None:
                ids = [account_store.ensure_project(conn, caller.account_id, n, now) for n in sorted(set(projects))]
                store.set_project_limits(conn, caller.account_id, user_id, ids)
            details = {"role": role or current["role"], "previous_role": current["role"]}
            if projects is not None:
                details["projects"] = sorted(set(projects))
            audit.record(conn, caller.account_id, caller, "member.update", f"user:{user_id}", details)
            limits = store.project_limits(conn, caller.account_id, user_id)
            entry = {"kind": "member_changed", "at": now, "account_id": caller.account_id, "user_id": user_id}
            self._rt.ledger.append({**entry, "role": role or current["role"], "project_ids": ids})
        return {"user_id": user_id, "role": role or current["role"], "projects": limits}

    def set_role_from_command_line(self, email: str, account_id: int, role: str) -> dict:
        """The operator's `users set-role`: an existing user's role in the account, made a member of the whole
        account when they are not one. The last owner is not demoted; operator staff belong to no account.
        Audited and put in the ledger as the API's change of role is."""
        _check_role(role)
        now = utc_now()
        with self._rt.engine.begin() as conn:
            account = account_store.get_account(conn, account_id)
            if account is None:
                raise NotFound(f"no account {account_id}")
            if account["kind"] == "deleted":
                raise Gone(f"account {account_id} was deleted")
            user = account_store.find_user_by_email(conn, email)
            if user is None:
                raise NotFound(f"no user {email}")
            if user["instance_role"]:
                raise InvalidInput(f"{email} is operator staff, who belong to no account")
            current = store.membership(conn, account_id, user["id"])
            previous = current["role"] if current else None
            if previous == "owner" and role != "owner" and store.count_owners(conn, account_id) <= 1:
                raise Conflict("the account must keep at least one owner")
            if current is None:
                account_store.add_membership(conn, account_id, user["id"], role, now)
            else:
                store.set_role(conn, account_id, user["id"], role)
            target = f"user:{user['id']}"
            details = {"role": role, "previous_role": previous}
            audit.record(conn, account_id, "command line", "member.update", target, details)
            limits = store.project_limits(conn, account_id, user["id"])
            entry = {"kind": "member_changed", "at": now, "account_id": account_id, "user_id": user["id"]}
            self._rt.ledger.append({**entry, "role": role, "project_ids": None})
        return {"user_id": user["id"], "role": role, "previous_role": previous, "projects": limits}

    def remove(self, caller: Caller, user_id: int) -> None:
        caller.require_role("admin", account_wide=True)
        with self._rt.engine.begin() as conn:
            current = store.membership(conn, caller.account_id, user_id)
            if current is None:
                raise NotFound(f"no member {user_id} in this account")
            if current["role"] == "owner":
                caller.require_role("owner")
                if store.count_owners(conn, caller.account_id) <= 1:
                    raise Conflict("the account must keep at least one owner")
            store.remove_membership(conn, caller.account_id, user_id)
            audit.record(conn, caller.account_id, caller, "member.remove", f"user:{user_id}", {"role": current["role"]})
            entry = {"kind": "member_removed", "at": utc_now(), "account_id": caller.account_id, "user_id": user_id}
            self._rt.ledger.append(entry)

    def project_limits(self, account_id: int) -> dict[int, list[str]]:
        with self._rt.engine.connect() as conn:
            return store.project_limits_of_account(conn, account_id)

    # API keys
    def rotate_key(self, caller: Caller, key_id: str) -> dict:
        caller.require_role("admin", account_wide=True)
        key = self._rt.keys.rotate(caller.account_id, key_id)
        audit.record(self._rt, caller.account_id, caller, "key.rotate", key_id)
        return {"api_key": key, "key_id": key_id_of(key)}
