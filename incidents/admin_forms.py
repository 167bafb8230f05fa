"""The priority matrix edited as one grid: a priority per impact × urgency cell."""

from django import forms

from incidents.models import ImpactLevel, Priority, UrgencyLevel

NO_PRIORITY = "—"


class PrioritySelect(forms.Select):
    """A <select> whose options carry their priority's colour, so the grid reads at a glance."""

    def __init__(self, *args, colours: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.colours = colours

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        colour = self.colours.get(str(value))
        if colour:
            option["attrs"]["data-colour"] = colour
        return option


def cell_field_name(impact: ImpactLevel, urgency: UrgencyLevel) -> str:
    return f"cell_{impact.pk}_{urgency.pk}"


def cell_label(impact: ImpactLevel, urgency: UrgencyLevel) -> str:
    return f"{impact.name} × {urgency.name}"


class MatrixGridForm(forms.Form):
    """One field per cell; refused as a whole unless every cell names a priority."""

    # The version the admin saw, so a save over someone else's newer grid is refused.
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, grid: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid
        priorities: list[Priority] = grid["priorities"]
        colours = {str(p.pk): p.colour for p in priorities}
        self.fields["version"].initial = grid["matrix"].version
        for impact in grid["impacts"]:
            for urgency in grid["urgencies"]:
                current = grid["cells"].get((impact.pk, urgency.pk))
                self.fields[cell_field_name(impact, urgency)] = forms.ModelChoiceField(
                    queryset=Priority.objects.all(),
                    required=False,
                    empty_label=NO_PRIORITY,
                    initial=current.pk if current else None,
                    label=cell_label(impact, urgency),
                    widget=PrioritySelect(colours=colours),
                )

    def clean(self):
        cleaned = super().clean()
        missing = []
        for impact, urgency in self._cell_keys():
            name = cell_field_name(impact, urgency)
            # A cell with its own error (an unknown priority) is already reported there.
            if name not in self.errors and cleaned.get(name) is None:
                self.add_error(name, "Choose a priority.")
                missing.append(cell_label(impact, urgency))
        if missing:
            raise forms.ValidationError(
                "The grid is incomplete: every impact × urgency cell needs a priority. "
                f"Choose one for: {', '.join(missing)}.",
                code="incomplete",
            )
        return cleaned

    def _cell_keys(self):
        return [(i, u) for i in self.grid["impacts"] for u in self.grid["urgencies"]]

    def rows(self) -> list[tuple[ImpactLevel, list[forms.BoundField]]]:
        """Impacts as rows, urgencies as columns, for the template."""
        return [
            (impact, [self[cell_field_name(impact, u)] for u in self.grid["urgencies"]])
            for impact in self.grid["impacts"]
        ]

    def cells(self) -> dict[tuple[int, int], int]:
        """The grid in the shape services.save_matrix takes."""
        return {
            (impact.pk, urgency.pk): self.cleaned_data[cell_field_name(impact, urgency)].pk
            for impact, urgency in self._cell_keys()
        }

    def changes(self) -> list[str]:
        """Each changed cell as "High × Medium: P3 → P2", for the audit log."""
        changed = []
        for impact, urgency in self._cell_keys():
            before = self.grid["cells"].get((impact.pk, urgency.pk))
            after = self.cleaned_data[cell_field_name(impact, urgency)]
            if before != after:
                was = before.code if before else NO_PRIORITY
                changed.append(f"{cell_label(impact, urgency)}: {was} → {after.code}")
        return changed
