use envelope_dockerfile::Kind;

use super::df003::{is_export_stage, last_in_chain};
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a final stage with no HEALTHCHECK (one in a stage it is built
    /// FROM counts, and so does `HEALTHCHECK NONE`, a deliberate choice). A
    /// final `scratch` stage with no ENTRYPOINT or CMD (a
    /// `docker build --output` export) is not flagged.
    ///
    /// Off by default: Kubernetes ignores HEALTHCHECK and uses its own
    /// probes, and a base image may define one this file cannot see. Turn it
    /// on with `extend-select = ["DF012"]` for images run by Docker, Compose
    /// or Swarm.
    ///
    /// ## Why
    /// Without a health check, Docker, Compose and Swarm only know whether
    /// the process is alive, not whether it serves: a deadlocked server
    /// stays "up", `depends_on: condition: service_healthy` cannot work, and
    /// a rolling update cannot tell a broken release from a good one.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM gcr.io/distroless/static-debian12:nonroot
    /// COPY --from=build /app /app
    /// ENTRYPOINT ["/app"]
    /// ```
    ///
    /// ## Fix
    /// Add a check in exec form that works without a shell, e.g. a
    /// subcommand of the program itself:
    ///
    /// ```dockerfile
    /// HEALTHCHECK --interval=30s --timeout=3s CMD ["/app", "healthcheck"]
    /// ```
    pub struct NoHealthcheck {
        code: "DF012",
        name: "no-healthcheck",
        severity: Info,
        fixable: false,
        enabled: false,
    }
}

impl Rule for NoHealthcheck {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(last) = cx.final_stage() else {
            return;
        };
        if is_export_stage(cx, last.index)
            || last_in_chain(cx, last.index, Kind::Healthcheck).is_some()
        {
            return;
        }
        let span = last
            .image_word
            .as_ref()
            .map_or(cx.df.instructions[last.from].keyword_span, |w| w.span);
        out.push(
            cx.diag(&Self::INFO, span, "the final image has no HEALTHCHECK")
                .with_help("add `HEALTHCHECK CMD [\"/app\", \"healthcheck\"]` (exec form, no shell needed), or `HEALTHCHECK NONE` to say there is none on purpose"),
        );
    }
}
