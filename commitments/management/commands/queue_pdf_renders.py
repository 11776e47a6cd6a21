"""`manage.py queue_pdf_renders`: queue the render of every protocol PDF never rendered or
whose stored render is not the current version (commitments/tasks.py
`queue_stale_protocol_pdfs`), so that no visitor waits for a PDF. Run after each deployment
(docs/deployment.md): a new layout makes every stored render stale. `seed_protocols` does the
same; the workers (`db_worker`, queue « pdf ») render them."""

from django.core.management.base import BaseCommand

from commitments.tasks import queue_stale_protocol_pdfs


class Command(BaseCommand):
    help = (
        "Met en file la fabrication des PDF des protocoles jamais fabriqués ou dont la version "
        "rangée n'est plus la courante (après un déploiement)."
    )

    def handle(self, *args, **options):
        stale = queue_stale_protocol_pdfs()
        if stale:
            self.stdout.write(f"PDF mis en file (file « pdf ») : {len(stale)}.")
        else:
            self.stdout.write("Tous les PDF des protocoles sont à jour.")
