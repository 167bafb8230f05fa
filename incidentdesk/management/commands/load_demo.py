from django.core.management.base import BaseCommand

from customer_care.demo import install_care_samples
from dispatch import demo as dispatch_demo
from escalation.demo import install_default_policy
from incidents import demo


class Command(BaseCommand):
    help = "Load the demo matrix, categories, users and a few incidents (only what is missing)."

    def handle(self, *args, **options):
        demo.install_reference_data()
        logins = demo.install_users()
        install_default_policy()
        agent, created = demo.install_sample_incidents()
        if created:
            install_care_samples(actor=agent)
        dispatch_demo.install_resources()
        self.stdout.write(f"Demo data ready ({created} sample incidents added).")
        for username, password, role in logins:
            self.stdout.write(f"  {role:<11} login: {username:<11} password: {password}")
