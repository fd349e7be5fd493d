"""Pages: the Export button of Plan View and the Import form of the plans list."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from packages.export import package_download
from packages.format import PackageError
from packages.importing import plan_import
from packages.reading import max_package_bytes
from plans.access import access_plan
from workspace.features import plans_enabled_required, require_import_export_enabled

# The most problems listed on the page; the rest are summed up.
SHOWN_ERRORS = 20


class PackageUploadForm(forms.Form):
    file = forms.FileField(
        label="Plan package",
        help_text="An exported .zip, or a plan.json when the plan uses no flows.",
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        limit = max_package_bytes()
        if upload.size > limit:
            raise forms.ValidationError(f"The file is larger than the limit of {limit:,} bytes.")
        return bytes(upload.read())


@login_required
@plans_enabled_required
@require_GET
def plan_export_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Download the plan's package (Plan View's Export button)."""
    require_import_export_enabled()
    plan = access_plan(request.user, plan_id)
    return package_download(plan, user=request.user)


@login_required
@plans_enabled_required
@require_http_methods(["GET", "POST"])
def plan_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a package: the new plan's page on success; the form with every problem (and
    nothing saved) otherwise."""
    require_import_export_enabled()
    posted = request.method == "POST"
    form = PackageUploadForm(request.POST if posted else None, request.FILES if posted else None)
    problems: list[str] = []
    if posted and form.is_valid():
        try:
            imported = plan_import(owner=request.user, data=form.cleaned_data["file"])
        except PackageError as error:
            problems = [f"{path}: {m}" for path, texts in error.errors.items() for m in texts]
        else:
            messages.success(request, f"Imported “{imported.plan.name}”.")
            if imported.secrets_missing:
                messages.warning(
                    request,
                    "Fill in the secrets the export left out before running it: "
                    + ", ".join(imported.secrets_missing)
                    + ".",
                )
            return redirect("plans:detail", plan_id=imported.plan.pk)
    status = 400 if posted else 200
    context = {
        "form": form,
        "problems": problems[:SHOWN_ERRORS],
        "more_problems": max(0, len(problems) - SHOWN_ERRORS),
    }
    return render(request, "plans/import.html", context, status=status)
