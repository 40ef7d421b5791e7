"""Who may use a page: the team (by role) and providers, decorators for their views."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from alma.extensions import login_manager


def team_required(*roles):
    """Signed in, on the team, and (if roles are named) holding one of them; admins may all."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.is_team:
                abort(403)
            if roles and not current_user.has_role(*roles, "admin"):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def me():
    return current_user._get_current_object()


def provider_required(view):
    """Signed in as a provider."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.provider_id is None:
            abort(403)
        return view(*args, **kwargs)
    return wrapped
