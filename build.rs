//! The default templates and playbooks are built into the binary (`src/assets.rs`): rebuild when
//! a file is added to or removed from either folder, not only when one changes.
fn main() {
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=playbooks");
    println!("cargo:rerun-if-changed=static");
}
