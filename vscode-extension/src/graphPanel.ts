// One module graph view per window, updated in place. No `vscode` import:
// unit-tested with node (commands.ts gives it VS Code's webview panel).

/** What the view needs of a webview panel. */
export interface PanelLike {
  title: string;
  setHtml(html: string): void;
  reveal(): void;
  onDidDispose(listener: () => void): void;
}

/** A rendering of the graph around a focus: the panel's title and HTML. */
export interface Rendered {
  title: string;
  html: string;
}

/**
 * The graph view: `show` opens the panel, or reveals the one already open
 * and points it at the new focus; `refresh` (the server's
 * raco/moduleGraphChanged) renders it again in place. Only the newest
 * rendering is shown when several overlap.
 */
export class GraphPanel<Focus> {
  private panel: PanelLike | undefined;
  private focus: Focus | undefined;
  private generation = 0;

  constructor(
    private readonly create: () => PanelLike,
    private readonly render: (focus: Focus | undefined) => Promise<Rendered>,
  ) {}

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  async show(focus: Focus | undefined): Promise<void> {
    this.focus = focus;
    if (this.panel === undefined) {
      const panel = this.create();
      this.panel = panel;
      panel.onDidDispose(() => {
        if (this.panel === panel) {
          this.panel = undefined;
        }
      });
    } else {
      this.panel.reveal();
    }
    await this.update();
  }

  /** Renders the open panel again (nothing when none is open). */
  async refresh(): Promise<void> {
    if (this.panel !== undefined) {
      await this.update();
    }
  }

  private async update(): Promise<void> {
    const panel = this.panel;
    const generation = ++this.generation;
    const r = await this.render(this.focus);
    if (panel !== undefined && panel === this.panel && generation === this.generation) {
      panel.title = r.title;
      panel.setHtml(r.html);
    }
  }
}
