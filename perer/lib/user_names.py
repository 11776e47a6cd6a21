"""How the portal names a person, written once: emails, pages, admin messages, the conflict
messages, PDFs and exports all call these.

- `full_name(user)`: « Prénom Nom » as the account states it, or "" (no user, no name).
- `display_name(user, unknown="")`: the full name, else the login; `unknown` when there is no
  user (a deleted account, a system write), worded by the caller for its sentence.
"""


def full_name(user):
    if user is None:
        return ""
    return user.get_full_name().strip()


def display_name(user, unknown=""):
    if user is None:
        return unknown
    return full_name(user) or user.get_username()
