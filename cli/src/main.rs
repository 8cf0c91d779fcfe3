use clap::{Parser, Subcommand};

/// certport: import X.509 certificates and PKCS#12 keystores into a tenant's inventory.
#[derive(Parser)]
#[command(name = "certport", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole API locally on embedded storage (SQLite, files, a local key file).
    Serve(certport::serve::ServeArgs),
    /// Provision a deployed AWS stack: tenants with API keys, edge instances with DEKs.
    Admin(certport::admin::AdminArgs),
}

fn main() -> std::process::ExitCode {
    certport::logging::init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("certport: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve(args) => runtime
            .block_on(certport::serve::run(args))
            .map_err(|e| e.to_string()),
        Command::Admin(args) => runtime
            .block_on(certport::admin::run(args))
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("certport: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
