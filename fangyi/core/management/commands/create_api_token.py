import secrets

from django.core.management.base import BaseCommand, CommandError

from fangyi.core.api_auth import token_digest
from fangyi.core.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue an API bearer token for a user; the token is printed once and stored only as a digest."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, username: str, name: str, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        token = secrets.token_urlsafe(32)
        ApiToken.objects.create(user=user, name=name, digest=token_digest(token))
        self.stdout.write(token)
