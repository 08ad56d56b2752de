//! Dockerfile rules. `DF` codes are general hardening and hygiene; `GO` codes
//! are about how Go programs are built and shipped.

pub mod df000;
pub mod df001;
pub mod df002;
pub mod df003;
pub mod df004;
pub mod df005;
pub mod df006;
pub mod df007;
pub mod df008;
pub mod df009;
pub mod df010;
pub mod df011;
pub mod df012;
pub mod df013;
pub mod df014;
pub mod df015;
pub mod df016;
pub mod df017;
pub mod df018;
pub mod df019;
pub mod df020;
pub mod df021;
mod download;
pub mod go001;
pub mod go002;
pub mod go003;
pub mod go004;
pub mod go005;
pub mod go006;
pub mod go007;
pub mod go008;
pub mod go009;
pub mod go010;

use envelope_dockerfile::Instruction;

use crate::Context;

/// The instructions whose results are layers of the final image: those of
/// the final stage and of the stages it is built FROM, in file order.
pub(crate) fn final_image_instructions<'a>(cx: &Context<'a>) -> Vec<&'a Instruction> {
    let Some(last) = cx.final_stage() else {
        return Vec::new();
    };
    let mut stages = df003::chain(cx, last.index);
    stages.sort_unstable();
    stages
        .into_iter()
        .flat_map(|s| cx.instructions(s).map(|(_, i)| i).collect::<Vec<_>>())
        .collect()
}
