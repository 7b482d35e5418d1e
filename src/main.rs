use clap::Parser;
use color_eyre::eyre::{Result, eyre};

use meshctl_tui::cli::{Cli, Command};
use meshctl_tui::cluster::connect::Target;
use meshctl_tui::console::{Session, Ui, run};
use meshctl_tui::demo::DemoCluster;
use meshctl_tui::state::{AppState, ConnInfo, Modal};
use meshctl_tui::ui::theme::{Theme, no_color_from_env};
use meshctl_tui::{config, tui};

fn main() -> Result<()> {
    // Before the runtime starts its threads (each keeps the malloc arena it starts in).
    meshctl_tui::console::memory::tune_allocator();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(console_main())
}

async fn console_main() -> Result<()> {
    color_eyre::install()?;
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Certs(args)) => {
            std::process::exit(meshctl_tui::commands::certs::run(&cli, args).await)
        }
        Some(Command::Check(args)) => {
            std::process::exit(meshctl_tui::commands::check::run(&cli, args).await)
        }
        Some(Command::Completions { shell }) => {
            std::process::exit(meshctl_tui::commands::docs::run_completions(*shell))
        }
        Some(Command::Man { dir }) => {
            std::process::exit(meshctl_tui::commands::docs::run_man(dir.as_deref()))
        }
        None => {}
    }
    let (cfg, mut warnings) = config::load(cli.config.as_deref());
    let (keymap, w) = cfg.keymap();
    warnings.extend(w);
    let (stuck_after, w) = cfg.rollout_stuck_after();
    warnings.extend(w);
    let (cert_bands, w) = cfg.cert_bands();
    warnings.extend(w);
    let config_dir = config::config_dir();
    let (theme, w) = Theme::resolve(
        cli.theme.as_deref().or(cfg.theme.as_deref()),
        no_color_from_env(),
        config_dir.as_deref(),
    );
    warnings.extend(w);

    let (target, demo) = if cli.demo {
        let demo = DemoCluster::start().map_err(|e| eyre!("demo cluster: {e}"))?;
        (Target::Demo, Some(demo))
    } else {
        (
            Target::Kubeconfig {
                path: cli.kubeconfig.clone(),
                context: cli.context.clone(),
            },
            None,
        )
    };
    let namespace = if cli.all_namespaces {
        None
    } else {
        cli.namespace.clone()
    };
    let mut state = AppState::new(
        ConnInfo::default(),
        namespace,
        cli.read_only || cfg.read_only,
        jiff::Timestamp::now(),
    );
    state.rollouts.stuck_after = stuck_after;
    state.cert_bands = cert_bands;
    if !warnings.is_empty() {
        state.modals.push(Modal::Notice(warnings));
    }
    let session = Session::new(target, demo);
    let mut terminal = tui::enter();
    let result = run(
        &mut terminal,
        state,
        session,
        Ui {
            theme: &theme,
            keymap: &keymap,
        },
        None,
    )
    .await;
    tui::restore();
    let state = result?;
    if let Some(signo) = state.exit_signal {
        // Ended by SIGTERM/SIGINT/SIGHUP: exit as a shell reports a program the signal
        // killed (143/130/129), now that the terminal is restored.
        drop(terminal);
        std::process::exit(128 + signo);
    }
    Ok(())
}
