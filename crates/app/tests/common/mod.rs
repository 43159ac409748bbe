//! What the app's test files share.

/// Runs each named test twice, as `<name>::sqlite` and `<name>::postgres`, each on a fresh
/// database, with the file's own `World` made from the store (`World::new(store)`).
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                let folder = tempfile::tempdir().expect("temp folder");
                let store = clockface_store::connect(&clockface_store::testing::sqlite_url(folder.path())).await.expect("sqlite store");
                super::$test(super::World::new(store).await).await;
            }

            #[tokio::test]
            async fn postgres() {
                let store = clockface_store::connect(&clockface_store::testing::fresh_postgres_url().await).await.expect("postgres store");
                super::$test(super::World::new(store).await).await;
            }
        }
    )*};
}
