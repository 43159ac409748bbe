//! The admin pages' words: one catalogue per language, English complete, from which every admin
//! template (`templates/admin/*.html`) takes its visible strings through `{{ t("key") }}` (the
//! [`Words`] trait, in scope wherever a page is a template), and the error pages take theirs.
//! A second language is a second table with the same keys, and [`Words::language`] choosing it;
//! the tests below check that every key a template uses exists, that every key is used, and that
//! no template shows a word outside the catalogue.
//!
//! Sentences that carry values (a count, a date, a name) are catalogued as the pieces around the
//! values, in the templates' order.

use clockface_domain::language::Language;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Looks up `key` in `language`'s catalogue (English when that one lacks it); a key in no
/// catalogue shows as itself, which the tests make impossible for the templates.
pub fn t(language: Language, key: &str) -> &'static str {
    let found = match language {
        Language::English | Language::Spanish => ENGLISH.get(key),
    };
    match found {
        Some(text) => text,
        None => {
            tracing::warn!(key, "no admin text for this key");
            ENGLISH.get("missing").copied().unwrap_or("?")
        }
    }
}

/// The English text of `key`, for words the handlers give the pages (titles).
pub fn en(key: &str) -> &'static str {
    t(Language::English, key)
}

/// `t` for the admin pages: every template has it, in English until a page carries a language.
pub trait Words {
    fn language(&self) -> Language {
        Language::English
    }
    fn t(&self, key: &str) -> &'static str {
        t(self.language(), key)
    }
}

impl<T: askama::Template> Words for T {}

static ENGLISH: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| EN.iter().copied().collect());

/// The admin pages in English, by template (keys `<template>.<words>`), then the error pages.
pub static EN: &[(&str, &str)] = &[
    ("missing", "(text missing)"),
    // base.html
    ("layout.table_region", "Table (scrolls sideways on a narrow screen)"),
    ("base.new_security_notices", "new security notice(s): PIN sign-in was locked after wrong PINs. See Manage → Devices."),
    ("base.clockface", "· clockface"),
    ("base.clockface_2", "clockface"),
    ("base.main", "Main"),
    ("base.manage", "Manage"),
    ("base.security_roles", "Security Roles"),
    ("base.employees", "Employees"),
    ("base.jobs", "Jobs"),
    ("base.cost_codes", "Cost codes"),
    ("base.devices", "Devices"),
    ("base.users", "Users"),
    ("base.privacy", "Privacy"),
    ("base.audit_log", "Audit log"),
    ("base.working_now", "Working now"),
    ("base.time_cards", "Time Cards"),
    ("base.payroll", "Payroll"),
    ("base.time_off", "Time off"),
    ("base.review", "Review"),
    ("base.waiting", "waiting"),
    ("base.supervisor", "Supervisor"),
    ("base.account_two_step_sign_in", "Account: two-step sign-in"),
    ("base.sign_out", "Sign out"),
    // error
    ("error.back_to_clockface", "Back to clockface"),
    // sign_in.html
    ("sign_in.sign_in_clockface", "Sign in · clockface"),
    ("sign_in.sign_in", "Sign in"),
    ("sign_in.you_are_signed_out", "You are signed out."),
    ("sign_in.e_mail", "E-mail"),
    ("sign_in.password", "Password"),
    // sign_in_code.html
    ("sign_in_code.two_step_sign_in_clockface", "Two-step sign-in · clockface"),
    ("sign_in_code.two_step_sign_in", "Two-step sign-in"),
    ("sign_in_code.enter_the_6_digit_code_your", "Enter the 6-digit code your authenticator app shows for clockface, or one of your recovery codes."),
    ("sign_in_code.code", "Code"),
    // signed_in_notice.html
    ("signed_in_notice.signed_in_clockface", "Signed in · clockface"),
    ("signed_in_notice.you_are_signed_in", "You are signed in"),
    ("signed_in_notice.if_that_was_not_you_change", "If that was not you, change your password and turn on two-step sign-in (Account, top right)."),
    ("signed_in_notice.continue", "Continue"),
    // account.html
    ("account.account", "Account"),
    ("account.two_step_sign_in_is_on", "Two-step sign-in is on."),
    ("account.keep_these_recovery_codes_somewhere_safe", "Keep these recovery codes somewhere safe: each signs you in once if you lose your phone. They are shown only now."),
    ("account.recovery_codes", "Recovery codes"),
    ("account.done", "Done"),
    ("account.scan_this_code_with_an_authenticator", "Scan this code with an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password …), or type the key, then enter the 6-digit code it shows."),
    ("account.key", "Key:"),
    ("account.code_from_the_app", "Code from the app"),
    ("account.turn_on", "Turn on"),
    ("account.on", "On."),
    ("account.signing_in_takes_your_password_and", "Signing in takes your password and a code from your app."),
    ("account.unused_recovery_code_s_left", "unused recovery code(s) left."),
    ("account.your_password", "Your password"),
    ("account.turn_off_two_step_sign_in", "Turn off two-step sign-in"),
    ("account.off", "Off."),
    ("account.with_two_step_sign_in_signing", "With two-step sign-in, signing in takes your password and a code from an app on your phone, so a stolen password alone is not enough."),
    ("account.turn_on_two_step_sign_in", "Turn on two-step sign-in"),
    // employees.html
    ("employees.who_clocks_in_with_which_mobile", "Who clocks in, with which mobile security role and PIN."),
    ("employees.add_employee", "Add employee"),
    ("employees.search_by_name_or_number", "Search by name or number"),
    ("employees.search", "Search"),
    ("employees.show_all", "Show all"),
    ("employees.edit", "Edit"),
    ("employees.name", "Name"),
    ("employees.number", "Number"),
    ("employees.mobile_security_role", "Mobile security role"),
    ("employees.pin", "PIN"),
    ("employees.status", "Status"),
    ("employees.set", "Set"),
    ("employees.none", "None"),
    ("employees.active", "Active"),
    ("employees.inactive", "Inactive"),
    ("employees.no_employees_yet_add_the_first", "No employees yet. Add the first one."),
    ("employees.nobody_matches", "Nobody matches “"),
    // employee.html
    ("employee.time_off", "Time off and balances"),
    ("employee.see_the_signed_page", "See the signed page"),
    ("employee.they_signed_it_on_paper", "They signed it on paper"),
    ("employee.paper_release_help", "Print the release above in the language they read, have them sign it by hand, then record it here with a scan or photo of the signed page. It is recorded as signed by their name on file, on the date they signed, by you."),
    ("employee.signed_on", "Signed on"),
    ("employee.language_of_the_paper", "The language of the printed release"),
    ("employee.scan_of_the_signed_page", "Scan of the signed page (PDF, JPEG or PNG, up to 10 MB)"),
    ("employee.record_the_paper_release", "Record the paper release"),
    ("employee.saved_devices_get_the_change_at", "Saved. Devices get the change at their next sync."),
    ("employee.their_face_templates_will_be_destroyed", "Their face templates will be destroyed by the daily destruction job at its first run after"),
    ("employee.under_the_retention_policy", "under the retention policy."),
    ("employee.employee_number", "Employee number"),
    ("employee.a_pin_is_set", "A PIN is set"),
    ("employee.no_pin_yet", "No PIN yet"),
    ("employee.new_pin_to_reset_it", "New PIN to reset it"),
    ("employee.4_to_8_digits", "4 to 8 digits"),
    ("employee.remove_the_pin", "Remove the PIN"),
    ("employee.the_pin_is_never_shown_leave", "The PIN is never shown. Leave empty to keep it as it is."),
    ("employee.active_may_clock_in", "Active (may clock in)"),
    ("employee.crew_for_clock_for", "Crew (for Clock For)"),
    ("employee.the_employees_this_foreman_may_clock", "The employees this foreman may clock in and out from their device."),
    ("employee.no_other_employees_yet", "No other employees yet."),
    ("employee.save", "Save"),
    ("employee.cancel", "Cancel"),
    ("employee.face_verification", "Face verification"),
    ("employee.biometric_release", "Biometric release:"),
    ("employee.under_the_retention_policy_2", "under the retention policy"),
    ("employee.as_they_no_longer_work_here", ", as they no longer work here"),
    ("employee.face_matching_needs_a_published_retention", "Face matching needs a published retention and destruction policy first: publish it on the"),
    ("employee.page_until_then_facefront_photos_are", "page. Until then FaceFront photos are kept for a person to check, and no face template is made."),
    ("employee.let_the_employee_read_this_release", "Let the employee read this release (version"),
    ("employee.the_full_policy", "the full policy"),
    ("employee.then_type_their_own_full_name", "), then type their own full name to sign it, or decline. Declining changes nothing for clocking in."),
    ("employee.full_name_typed_by_the_employee", "Full name, typed by the employee"),
    ("employee.sign_the_release", "Sign the release"),
    ("employee.they_decline", "They decline"),
    ("employee.enrolled_photos", "Enrolled photos"),
    ("employee.enrolled_photo", "Enrolled photo,"),
    ("employee.no_enrolled_photo_yet_their_first", "No enrolled photo yet: their first clear FaceFront photo becomes it, or upload one."),
    ("employee.enrolment_photo", "Enrolment photo"),
    ("employee.one_clear_front_facing_face", "One clear, front-facing face."),
    ("employee.upload_an_enrolment_photo", "Upload an enrolment photo"),
    ("employee.their_data", "Their data"),
    ("employee.download_everything_stored_about_them_zip", "Download everything stored about them (ZIP)"),
    ("employee.delete_their_biometric_data_now_why", "Delete their biometric data now — why"),
    ("employee.e_g_asked_by_the_employee", "e.g. asked by the employee on 3 May"),
    ("employee.also_destroy_their_facefront_photos_the", "Also destroy their FaceFront photos (the punches and hours stay)"),
    ("employee.delete_biometric_data", "Delete biometric data"),
    ("employee.confirm_delete_biometrics", "Delete the biometric data of"),
    ("employee.confirm_delete_biometrics_2", "now? This cannot be undone."),
    // roles.html
    ("roles.what_each_mobile_security_role_may", "What each mobile security role may do on the mobile clock. Devices get changes at their next sync."),
    ("roles.roles", "Roles"),
    ("roles.facefront_check", "How FaceFront photos are checked"),
    ("roles.liveness_help", "The liveness check tells a live face from a printed photo or a screen held up to the camera (docs/BENCHMARKS.md gives how often it errs each way). A head turn is a second check: the clock asks the worker to turn their head left or right for about two seconds and the server follows the face through the frames. A photo or head turn that fails is kept with its punch and flagged for review; the punch is never refused."),
    ("roles.liveness_retry", "When the head turn fails on the clock, ask once more before sending the punch"),
    ("roles.liveness_retry_help", "Only while the clock is online; the punch is sent and kept either way, and a failed check is flagged."),
    ("roles.facefront_on", "FaceFront on"),
    ("roles.facefront", "FaceFront"),
    ("roles.employees_holding_it", "Employees holding it"),
    ("roles.new_role", "New role"),
    ("roles.e_g_crew_lead", "e.g. Crew lead"),
    ("roles.add_role", "Add role"),
    ("roles.held_by", "Held by"),
    ("roles.employee", "employee"),
    ("roles.s", "s"),
    ("roles.abilities", "Abilities"),
    ("roles.delete_role", "Delete role"),
    ("roles.it_cannot_be_deleted_while", "It cannot be deleted while"),
    ("roles.s_hold", "s hold"),
    ("roles.holds", "holds"),
    ("roles.it_give_them_another_role_first", "it: give them another role first."),
    ("roles.no_roles_yet_add_one_on", "No roles yet. Add one on the left."),
    ("roles.confirm_delete", "Delete the role "),
    // devices.html
    ("devices.pin_sign_in", "PIN sign-in"),
    ("devices.pin_sign_in_help", "Employees sign in on a shared device by PIN alone, so a guess matches anyone's PIN: longer PINs make guessing slower. Wrong PINs lock a device after 10, an employee after 5, and the whole company after 100 in an hour; while the wrong PINs go on, each lock lasts twice as long, up to a day. You are told of each first lock here and by e-mail."),
    ("devices.new_pins_have_at_least", "New PINs have at least (digits)"),
    ("devices.save", "Save"),
    ("devices.kiosk", "Kiosk"),
    ("devices.kiosk_off", "Off (PIN sign-in)"),
    ("devices.kiosk_company", "On: identifies anyone in the company"),
    ("devices.kiosk_crew_of", "On: identifies the crew of"),
    ("devices.kiosk_help", "A kiosk is a shared tablet that identifies the worker in front of it by face: they press Clock in or Clock out and look at it. Only employees who signed the biometric release that names identification, and are enrolled, are ever identified, and only a face judged live (a head turn is asked for when the photo may be of a print or a screen; how often an attack still gets through is in the benchmarks); anyone not identified, or who presses Not me, uses their PIN as on any clock, and offline the kiosk asks for the PIN and takes a photo. Each identification and each Not me is in the audit log."),
    ("devices.employees_have_a_shorter_pin", "active employees have a PIN shorter than that (or set before PIN lengths were kept): set them a new PIN on their pages."),
    ("devices.security_notices", "Security notices"),
    ("devices.no_security_notices", "No lock after wrong PINs so far."),
    ("devices.lift_the_lock", "Lift the lock"),
    ("devices.mark_all_as_seen", "Mark all as seen"),
    ("devices.phones_and_job_site_tablets_running", "Phones and job-site tablets running the mobile clock. Register one with a one-time code."),
    ("devices.register_a_device", "Register a device"),
    ("devices.type_this_code_into_the_mobile", "Type this code into the mobile clock. It works once and is shown only now."),
    ("devices.usable_until", "Usable until"),
    ("devices.code_usable_for", "Code usable for"),
    ("devices.create_registration_code", "Create registration code"),
    ("devices.front_camera", "Front camera"),
    ("devices.last_sync", "Last sync"),
    ("devices.registered", "Registered"),
    ("devices.actions", "Actions"),
    ("devices.yes", "Yes"),
    ("devices.no", "No"),
    ("devices.its_settings_are_older_than_the", "Its settings are older than the latest change"),
    ("devices.behind", "Behind"),
    ("devices.revoked", "Revoked"),
    ("devices.revoke", "Revoke"),
    ("devices.no_devices_yet_create_a_code", "No devices yet. Create a code above and type it into the mobile clock."),
    ("devices.confirm_revoke", "Revoke "),
    ("devices.confirm_revoke_2", "? It will stop working at once and must be registered again."),
    // users.html
    ("users.people_who_sign_in_to_these", "People who sign in to these pages. An"),
    ("users.admin", "Admin"),
    ("users.can_do_everything_a", "can do everything; a"),
    ("users.sees_corrects_and_approves_the_time", "sees, corrects and approves the time cards of the employees assigned to them, and sees only their review queue."),
    ("users.invite_a_user", "Invite a user"),
    ("users.invitation_for", "Invitation for"),
    ("users.sent_by_e_mail", ", sent by e-mail"),
    ("users.copy_this_link_and_send_it", "Copy this link and send it to them; it"),
    ("users.the_link", "The link"),
    ("users.works_once_until", "works once, until"),
    ("users.and_is_shown_only_now", ", and is shown only now."),
    ("users.the_e_mail_could_not_be", "The e-mail could not be sent ("),
    ("users.copy_the_link_instead", "); copy the link instead."),
    ("users.invitation_link", "Invitation link"),
    ("users.copy_link", "Copy link"),
    ("users.name_optional", "Name (optional)"),
    ("users.role", "Role"),
    ("users.invite", "Invite"),
    ("users.the_invitation_is_also_sent_by", "The invitation is also sent by e-mail."),
    ("users.no_smtp_server_is_configured_so", "No SMTP server is configured, so no e-mail is sent: you get a link to pass on."),
    ("users.pick_a_supervisor_s_employees_on", "Pick a supervisor's employees on their page."),
    ("users.last_sign_in", "Last sign-in"),
    ("users.you", "(you)"),
    ("users.all", "All"),
    // user.html
    ("user.invited_by", "· invited by"),
    ("user.last_sign_in", "· last sign-in:"),
    ("user.all_users", "All users"),
    ("user.a_new_invitation_link_for", "A new invitation link for"),
    ("user.it_works_once_until", ": it works once, until"),
    ("user.the_old_link_no_longer_works", ". The old link no longer works."),
    ("user.role_and_access", "Role and access"),
    ("user.admin_everything", "Admin: everything"),
    ("user.supervisor_the_time_cards_and_review", "Supervisor: the time cards and review queue of the employees below"),
    ("user.may_sign_in_turning_this_off", "May sign in (turning this off ends their sessions at once)"),
    ("user.invitation", "Invitation"),
    ("user.they_have_not_accepted_their_invitation", "They have not accepted their invitation yet. A new link replaces the old one."),
    ("user.make_a_new_invitation_link", "Make a new invitation link"),
    ("user.used_when_they_are_a_supervisor", "(used when they are a Supervisor; an Admin sees everyone)"),
    ("user.no_employees_yet", "No employees yet."),
    ("user.save_employees", "Save employees"),
    // invitation.html
    ("invitation.accept_your_invitation_clockface", "Accept your invitation · clockface"),
    ("invitation.welcome_to", "Welcome to"),
    ("invitation.you_are_invited_as", "You are invited as"),
    ("invitation.an", "an"),
    ("invitation.a", "a"),
    ("invitation.choose_a_password_to_sign_in", ". Choose a password to sign in as"),
    ("invitation.your_name", "Your name"),
    ("invitation.password_at_least_10_characters", "Password (at least 10 characters)"),
    ("invitation.the_same_password_again", "The same password again"),
    ("invitation.set_password_and_sign_in", "Set password and sign in"),
    // jobs.html
    ("jobs.where_hours_are_worked_employees_pick", "Where hours are worked. Employees pick the job at Clock In; a job with a geofence flags punches made outside it."),
    ("jobs.add_job", "Add job"),
    ("jobs.address", "Address"),
    ("jobs.geofence", "Geofence"),
    ("jobs.no_jobs_yet_add_one_or", "No jobs yet. Add one, or import a CSV file below."),
    // job.html
    ("job.job_number", "Job number"),
    ("job.geofence_optional", "Geofence (optional)"),
    ("job.a_circle_around_the_site_a", "A circle around the site. A punch outside it is flagged with its distance, never refused. Leave all three empty for none."),
    ("job.centre_latitude", "Centre latitude"),
    ("job.centre_longitude", "Centre longitude"),
    ("job.radius_m", "Radius (m)"),
    ("job.active_offered_on_the_clock", "Active (offered on the clock)"),
    ("job.deactivate_job", "Deactivate job"),
    ("job.confirm_deactivate", "Deactivate the job "),
    ("job.confirm_deactivate_2", "? It will no longer be offered on the clock."),
    // cost_codes.html
    ("cost_codes.what_the_hours_went_to_when", "What the hours went to. When the company has cost codes, employees pick one at Clock In; a code is for every job or for some."),
    ("cost_codes.add_cost_code", "Add cost code"),
    ("cost_codes.for", "For"),
    ("cost_codes.no_cost_codes_yet_without_any", "No cost codes yet. Without any, the clock asks only for the job."),
    // cost_code.html
    ("cost_code.cost_code_number", "Cost code number"),
    ("cost_code.all_jobs", "All jobs"),
    ("cost_code.only_these_jobs", "Only these jobs:"),
    ("cost_code.no_jobs_yet", "No jobs yet."),
    ("cost_code.deactivate_cost_code", "Deactivate cost code"),
    ("cost_code.confirm_deactivate", "Deactivate the cost code "),
    // import_panel.html
    ("import_panel.import_from_csv", "Import from CSV"),
    ("import_panel.the_first_line_names_the_columns", "The first line names the columns:"),
    ("import_panel.a_line_whose_number_exists_updates", "). A line whose number exists updates it. Every line is imported, or none."),
    ("import_panel.example", "Example:"),
    ("import_panel.imported", "Imported:"),
    ("import_panel.added", "added,"),
    ("import_panel.updated", "updated."),
    ("import_panel.nothing_was_imported", "Nothing was imported:"),
    ("import_panel.line", "line"),
    ("import_panel.cannot_be_correct_the_file_and", "cannot be. Correct the file and upload it again."),
    ("import_panel.line_2", "Line"),
    ("import_panel.csv_file", "CSV file"),
    ("import_panel.import", "Import"),
    // working.html
    ("working.who_s_working_now", "Who's working now"),
    ("working.unknown_employee", "Unknown employee"),
    ("working.added_by_a_correction", "Clock-in added by a correction"),
    ("working.clocked_in_by", "Clocked in by"),
    ("working.own_clock_in", "Own clock-in"),
    ("working.on_a_break_since", "On a break since"),
    ("working.everyone_clocked_in_at_this_moment", "Everyone clocked in at this moment, as the punches that reached the server and the time cards' corrections say; a device that is offline reports later."),
    ("working.clocked_in_now", "Clocked in now"),
    ("working.employee", "Employee"),
    ("working.since", "Since"),
    ("working.so_far", "So far"),
    ("working.job", "Job"),
    ("working.cost_code", "Cost code"),
    ("working.flags", "Flags"),
    ("working.nobody_is_clocked_in_right_now", "Nobody is clocked in right now."),
    // time_card.html
    ("time_card.show", "Show"),
    ("time_card.correction_saved_the_device_s_punch", "Correction saved. The device's punch is kept as it arrived."),
    ("time_card.previous_period", "‹ Previous period"),
    ("time_card.this_period", "This period"),
    ("time_card.next_period", "Next period ›"),
    ("time_card.approve_this_card", "Approve this card"),
    ("time_card.locks_it_for_corrections_the_pay", "Locks it for corrections; the pay period overview can reopen it."),
    ("time_card.day", "Day"),
    ("time_card.start", "Start"),
    ("time_card.stop", "Stop"),
    ("time_card.hours", "Hours"),
    ("time_card.notes", "Notes"),
    ("time_card.day_total", "Day total"),
    ("time_card.still_in", "still in"),
    ("time_card.in_progress", "In progress"),
    ("time_card.deducted_automatically_for_a_meal_break", "Deducted automatically for a meal break"),
    ("time_card.meal", "Meal −"),
    ("time_card.deducted", "deducted"),
    ("time_card.fix_clock_out", "Fix clock-out"),
    ("time_card.clock_out_date", "Clock-out date"),
    ("time_card.clock_out_time", "Clock-out time"),
    ("time_card.reason", "Reason"),
    ("time_card.forgot_to_clock_out", "Forgot to clock out"),
    ("time_card.add_clock_out", "Add clock-out"),
    ("time_card.period_total", "Period total"),
    ("time_card.regular", "Regular"),
    ("time_card.overtime_1_5x", "Overtime (1.5x;"),
    ("time_card.double_time_2x", "Double time (2x)"),
    ("time_card.meal_breaks_deducted_not_counted_above", "Meal breaks deducted (not counted above)"),
    ("time_card.breaks_paid_counted_above", "Breaks (paid, counted above)"),
    ("time_card.breaks_unpaid_not_counted_above", "Breaks (unpaid, not counted above)"),
    ("time_card.shifts_with_a_missing_clock_in", "Shifts with a missing clock-in or clock-out"),
    ("time_card.add_a_missed_punch", "Add a missed punch"),
    ("time_card.kind", "Kind"),
    ("time_card.clock_in", "Clock in"),
    ("time_card.clock_out", "Clock out"),
    ("time_card.date", "Date"),
    ("time_card.time", "Time"),
    ("time_card.reason_required", "Reason (required)"),
    ("time_card.add_punch", "Add punch"),
    ("time_card.voided_on", "voided"),
    ("time_card.voided_punches", "Voided punches"),
    ("time_card.kept_as_they_arrived_not_counted", "Kept as they arrived; not counted."),
    ("time_card.add_one", "Add one"),
    ("time_card.to_see_their_time_card", "to see their time card."),
    // punch.html
    ("punch.by_a_correction", "by a correction:"),
    ("punch.at", "at"),
    ("punch.was", "— was"),
    ("punch.no_punch_on_the_device", "— no punch on the device"),
    ("punch.reason", "Reason:"),
    ("punch.corrected", "Corrected:"),
    ("punch.corrected_by", "by"),
    ("punch.corrections", "corrections)"),
    ("punch.this_punch_reached_the_server_after", "This punch reached the server after the card was approved"),
    ("punch.arrived_after_approval", "Arrived after approval"),
    ("punch.position", "Position:"),
    ("punch.distance", "Distance:"),
    ("punch.open_in_openstreetmap", "Open in OpenStreetMap"),
    ("punch.open_in_a_maps_app", "Open in a maps app"),
    ("punch.the_role_records_gps", "The role records GPS"),
    ("punch.facefront_photo", "FaceFront photo:"),
    ("punch.i", "i"),
    ("punch.facefront_photo_2", "FaceFront photo,"),
    ("punch.device", "Device:"),
    ("punch.verification", "Verification:"),
    ("punch.turn_for_display", "Turn for display"),
    ("punch.turn_left", "Turn left"),
    ("punch.turn_right", "Turn right"),
    ("punch.on", "on"),
    ("punch.flagged", "Flagged:"),
    ("punch.no_photo", "No photo —"),
    ("punch.correct_the", "Correct the"),
    ("punch.new_time", "New time"),
    ("punch.move_time", "Move time"),
    ("punch.void_punch", "Void punch"),
    // review.html
    ("review.facefront_photos_that_did_not_match", "FaceFront photos that did not match the enrolled face, punches that lacked a required photo, and punches the server could not vouch for (an inactive employee, a clock-out with no clock-in, a time before the device was set up), newest first."),
    ("review.punches_a_device_sent_after_the", "Punches a device sent after the card or pay period they fall in was approved. They are kept and counted on the card; reopen the card (Payroll) to correct it."),
    ("review.received", ", received"),
    ("review.facefront_photo_of_this_punch", "FaceFront photo of this punch"),
    ("review.no_photo", "No photo"),
    ("review.head_turn", "Head turn"),
    ("review.head_turn_frames_of", "Frames taken while the clock asked for a head turn, of"),
    ("review.this_punch", "This punch"),
    ("review.enrolled_reference_photo_of", "Enrolled reference photo of"),
    ("review.not_enrolled", "Not enrolled"),
    ("review.enrolled_reference", "Enrolled reference"),
    ("review.also_add_this_photo_to_their", "also add this photo to their enrolment"),
    ("review.this_is_them", "This is them"),
    ("review.not_them", "Not them"),
    ("review.nothing_to_review_every_photo_matched", "Nothing to review. Every photo matched."),
    // privacy.html
    ("privacy.your_biometric_retention_and_destruction_policy", "Your biometric retention and destruction policy, published at a public address, and what was destroyed under it. Face matching starts only once a policy is published and an employee has signed the release. This is not legal advice."),
    ("privacy.policy_published_employees_are_asked_to", "Policy published. Employees are asked to sign the release at their next sign-in on the clock."),
    ("privacy.retention_settings", "Retention settings"),
    ("privacy.the_law_your_policy_follows", "The law your policy follows"),
    ("privacy.illinois_face_templates_destroyed_when_employmen", "Illinois: face templates destroyed when employment ends, or 3 years after the last punch, whichever comes first. Texas: within a year after employment ends. The strictest (the default) meets all of them at once."),
    ("privacy.keep_facefront_photos_for_days", "Keep FaceFront photos for (days)"),
    ("privacy.ask_again_after_deletion", "Ask again after a deletion on request"),
    ("privacy.ask_again_after_deletion_help", "An employee whose face data was deleted on request has their release withdrawn. Ticked, the clock shows them the release again at their next sign-in (saying why) and they may sign anew; unticked, they are never asked again. The policy says which."),
    ("privacy.photos_are_destroyed_this_many_days", "Photos are destroyed this many days after they were taken; the punches and hours stay."),
    ("privacy.publish_a_new_version", "Publish a new version"),
    ("privacy.publish_the_policy", "Publish the policy"),
    ("privacy.published_policy", "Published policy"),
    ("privacy.version", "Version"),
    ("privacy.public_at", ", public at"),
    ("privacy.no_sign_in_needed", "(no sign-in needed)."),
    ("privacy.no_policy_is_published_yet_no", "No policy is published yet: no face template is made of anyone, and FaceFront photos wait for a person to check them."),
    ("privacy.destruction_log", "Destruction log"),
    ("privacy.the_daily_job_destroys_what_the", "The daily job destroys what the policy says is due, on every server. The log holds no face data."),
    ("privacy.when", "When"),
    ("privacy.what", "What"),
    ("privacy.why", "Why"),
    ("privacy.nothing_destroyed_yet", "Nothing destroyed yet."),
    // audit.html
    ("audit.every_photo_view_release_enrolment_review", "Every photo view, release, enrolment, review decision, deletion, destruction and export, newest first. The log is append-only and chained:"),
    ("audit.clockface_audit_verify", "clockface audit verify"),
    ("audit.finds_an_entry_edited_or_removed", "finds an entry edited or removed in the database."),
    ("audit.anyone", "Anyone"),
    ("audit.user", "User"),
    ("audit.admin_device_system", "admin:…, device:…, system"),
    ("audit.photo_release_template", "photo, release, template…"),
    ("audit.from", "From"),
    ("audit.to", "To"),
    ("audit.filter", "Filter"),
    ("audit.download_csv", "Download CSV"),
    ("audit.who", "Who"),
    ("audit.detail", "Detail"),
    ("audit.no_entries_match", "No entries match."),
    ("audit.older_entries", "Older entries"),
    // payroll.html
    ("payroll.pay_period", "Pay period"),
    ("payroll.payroll_settings", "Payroll settings"),
    ("payroll.job_costing", "Job costing"),
    ("payroll.approved_for_payroll", "Approved for payroll"),
    ("payroll.not_approved_for_payroll_yet", "Not approved for payroll yet"),
    ("payroll.overtime", "Overtime"),
    ("payroll.double_time", "Double time"),
    ("payroll.total", "Total"),
    ("payroll.card", "Card"),
    ("payroll.missing_punch", "Missing punch ("),
    ("payroll.photos_to_check", "Photos to check ("),
    ("payroll.corrected", "Corrected ("),
    ("payroll.arrived_after_approval", "Arrived after approval ("),
    ("payroll.approved", "Approved"),
    ("payroll.reopen", "Reopen"),
    ("payroll.reason_to_reopen", "Reason to reopen"),
    ("payroll.s_card", "'s card"),
    ("payroll.reopen_card", "Reopen card"),
    ("payroll.approved_with_the_period", "Approved with the period"),
    ("payroll.approve", "Approve"),
    ("payroll.all_employees", "All employees"),
    ("payroll.your_employees", "Your employees"),
    ("payroll.approve_for_payroll", "Approve for payroll"),
    ("payroll.an_admin_approved_the_period_for", "An admin approved the period for payroll: every card in it is locked."),
    ("payroll.approve_your_employees_cards_above_an", "Approve your employees' cards above; an admin then approves the period for payroll and exports it."),
    ("payroll.approved_every_card_in_the_period", "Approved: every card in the period is locked."),
    ("payroll.reason_to_reopen_the_period", "Reason to reopen the period"),
    ("payroll.reopen_the_period", "Reopen the period"),
    ("payroll.approve_the_period_for_payroll", "Approve the period for payroll"),
    ("payroll.export", "Export"),
    ("payroll.exported_before", "Exported before:"),
    ("payroll.exporting_again_makes_a_new_file", ". Exporting again makes a new file; the payroll system may count the hours twice if both are imported."),
    ("payroll.approve_with_open_flags", "Approve the period with open flags?"),
    ("payroll.these_cards_still_have_open_flags", "These cards still have open flags; open a card to look at it:"),
    ("payroll.approving_freezes_the_hours_as_they_stand", "Approving locks every card and freezes its hours as they stand now: a missing punch stays uncounted and a shift in progress counts only up to now until the period is reopened. Photos can still be checked in Review; the approved hours do not change."),
    ("payroll.approve_the_period_anyway", "Approve the period anyway"),
    ("payroll.not_now", "Not now"),
    ("payroll.export_question", "Export"),
    ("payroll.export_anyway", "Export anyway"),
    ("payroll.cancel", "Cancel"),
    ("payroll.export_not_approved", "This pay period is not approved for payroll yet: its hours can still change after the file is made. Payroll systems expect a locked period, so approve it first unless you mean to send the hours as they stand."),
    ("payroll.exported_before_on", "This file was exported before on"),
    ("payroll.may_count_twice", "(may count the hours twice if both files are imported)."),
    ("payroll.not_approved_export_warning", "Not approved for payroll yet: a file made now has the hours as they stand, which can still change. Approve the period first (above), as payroll systems expect."),
    ("payroll.this_company_exports_only_approved_periods", "Not approved for payroll yet: this company exports only approved periods (Payroll settings). Approve the period first (above)."),
    ("payroll.regular_hours", "regular"),
    ("payroll.overtime_hours", "overtime"),
    ("payroll.double_time_hours", "double time"),
    ("payroll.approved_as", "approved as"),
    ("payroll.counted_now_as", "counted now as"),
    ("payroll.counted_differently_now", "Counted differently now"),
    ("payroll.hours_changed_since_the_last_export", "The hours changed since the last export; a new file differs from the one sent for:"),
    ("payroll.codes_each_system_needs_company_code", "Codes each system needs (company code, earnings codes, payroll items) are in"),
    // job_costing.html
    ("job_costing.job_costing", "Job costing"),
    ("job_costing.pay_period", "Pay period"),
    ("job_costing.the_periods_hours_by_job", "The period's hours by job and cost code,"),
    ("job_costing.for_every_employee", "for every employee"),
    ("job_costing.for_your_employees", "for your employees"),
    ("job_costing.the_same_hours_as_the_pay_period", ": the same hours as the pay period, each day's regular hours on the day's first hours worked and its overtime on the hours after."),
    ("job_costing.job", "Job"),
    ("job_costing.show", "Show"),
    ("job_costing.previous_period", "‹ Previous period"),
    ("job_costing.only", "only"),
    ("job_costing.all_jobs", "All jobs"),
    ("job_costing.no_job", "No job"),
    ("job_costing.next_period", "Next period ›"),
    ("job_costing.hours_by_job_and_cost_code", "Hours by job and cost code"),
    ("job_costing.cost_code", "Cost code"),
    ("job_costing.employee", "Employee"),
    ("job_costing.regular", "Regular"),
    ("job_costing.overtime", "Overtime"),
    ("job_costing.double_time", "Double time"),
    ("job_costing.total", "Total"),
    ("job_costing.paid_time_off", "Paid time off"),
    ("payroll.paid_time_off", "paid time off"),
    ("job_costing.employee_one", "employee"),
    ("job_costing.employees", "employees"),
    ("job_costing.no_hours_on_this_job", "No hours on this job in this pay period"),
    ("job_costing.no_hours", "No hours in this pay period"),
    ("job_costing.download_csv", "Download CSV"),
    ("job_costing.a_line_per_job_cost_code", "A line per job, cost code and employee, hours with two decimals."),
    // payroll_settings.html
    ("payroll_settings.payroll_settings_saved", "Payroll settings saved."),
    ("payroll_settings.approved_periods_affected", "Not saved yet: these settings would count approved cards differently (below)."),
    ("payroll_settings.approved_cards_would_count_differently", "Approved cards these settings would count differently"),
    ("payroll_settings.approved_for_payroll_paren", "(approved for payroll)"),
    ("payroll_settings.cards_approved_paren", "(cards approved)"),
    ("payroll_settings.would_be", "under these settings"),
    ("payroll_settings.they_keep_their_approved_figures", "Approved cards keep the figures they were approved with: the time cards, the overview and every export show those until the card or period is reopened. Reopen a period first to have it counted under the new settings."),
    ("payroll_settings.save_and_keep_approved_figures", "Save, and keep the approved figures of the cards listed until they are reopened"),
    ("payroll_settings.pay_period_and_overtime", "Pay period and overtime"),
    ("payroll_settings.first_day_of_a_two_week", "First day of a two-week period"),
    ("payroll_settings.workweek_starts_on", "Workweek starts on"),
    ("payroll_settings.overtime_rule", "Overtime rule"),
    ("payroll_settings.breaks", "Breaks"),
    ("payroll_settings.breaks_are_paid", "Breaks are paid"),
    ("payroll_settings.breaks_help", "Breaks are what employees take with Start break and End break on the clock. Paid breaks count in the hours; unpaid ones do not, and an unpaid break counts toward the meal deduction below."),
    ("payroll_settings.meal_break", "Meal break"),
    ("payroll_settings.deduct_a_meal_break_automatically", "Deduct a meal break automatically"),
    ("payroll_settings.from_shifts_longer_than_minutes", "From shifts longer than (minutes)"),
    ("payroll_settings.minutes_deducted", "Minutes deducted"),
    ("payroll_settings.export_codes", "Export codes"),
    ("payroll_settings.as_set_up_in_each_payroll", "As set up in each payroll system; they must match exactly."),
    ("payroll_settings.adp_workforce_now_company_code_3", "ADP Workforce Now company code (3 characters)"),
    ("payroll_settings.adp_batch_id", "ADP batch id prefix (the period's start is added: 7 becomes 7261116)"),
    ("payroll_settings.adp_double_time_code_hours_3", "ADP double-time code (Hours 3)"),
    ("payroll_settings.adp_run_client_id_iid", "ADP RUN client id (IID)"),
    ("payroll_settings.adp_run_regular_code", "ADP RUN regular code"),
    ("payroll_settings.adp_run_overtime_code", "ADP RUN overtime code"),
    ("payroll_settings.adp_run_double_time_code", "ADP RUN double-time code"),
    ("payroll_settings.paychex_client_id_up_to_8", "Paychex client id (up to 8)"),
    ("payroll_settings.paychex_regular_pay_component", "Paychex regular pay component"),
    ("payroll_settings.paychex_overtime_pay_component", "Paychex overtime pay component"),
    ("payroll_settings.paychex_double_time_pay_component", "Paychex double-time pay component"),
    ("payroll_settings.quickbooks_company_name", "QuickBooks company name"),
    ("payroll_settings.quickbooks_regular_payroll_item", "QuickBooks regular payroll item"),
    ("payroll_settings.quickbooks_overtime_payroll_item", "QuickBooks overtime payroll item"),
    ("payroll_settings.quickbooks_double_time_payroll_item", "QuickBooks double-time payroll item"),
    ("payroll_settings.quickbooks_company_create_time", "QuickBooks company create time (COMPANYCREATETIME)"),
    ("payroll_settings.create_time_help", "A number QuickBooks Desktop keeps for each company file, which tells it which company file an IIF file is for. To find it: in QuickBooks, File → Utilities → Export → Timer Lists, save the .IIF file, open it in a text editor (Notepad), and copy the last number on the line that starts with TIMERHDR. Left empty, the export writes the time it was made (as clockface did before this setting); QuickBooks may then not recognise the file as its own."),
    ("payroll_settings.exports", "Exports"),
    ("payroll_settings.require_approval_before_export", "Require approval before export"),
    ("payroll_settings.require_approval_help", "On: a pay period exports only once it is approved for payroll (every card locked), so the file cannot disagree with a correction made later; exporting an unapproved period is refused with a message. Off: an unapproved period exports as it stands, and the pay period page says it is not approved before the download."),
    ("payroll_settings.not_saved_see_the_fields", "Not saved: see the messages beside the fields below."),
    // time_off.html
    ("time_off.lede", "Requests from the clock and from the office. Approved time off goes on the time card and into payroll under its pay code; the employee sees each answer on the clock."),
    ("time_off.waiting", "Waiting for an answer"),
    ("time_off.their_note", "Their note:"),
    ("time_off.note_to_employee", "Note to the employee (shown on the clock; needed to decline)"),
    ("time_off.approve", "Approve"),
    ("time_off.decline", "Decline"),
    ("time_off.nothing_waiting", "No request is waiting for an answer."),
    ("time_off.answered", "Answered in the last"),
    ("time_off.days", "days"),
    ("time_off.answered_table", "Requests answered lately"),
    ("time_off.employee", "Employee"),
    ("time_off.type", "Type"),
    ("time_off.dates", "Date"),
    ("time_off.hours", "Hours"),
    ("time_off.answer", "Answer"),
    ("time_off.none_answered", "None answered lately."),
    // holidays.html
    ("holidays.title", "Company holidays"),
    ("holidays.lede", "Each holiday shows on every time card with its paid hours, and a whole-day request skips it."),
    ("holidays.years", "Other years"),
    ("holidays.paid_hours", "Paid hours"),
    ("holidays.remove", "Remove"),
    ("holidays.confirm_remove", "Remove the holiday"),
    ("holidays.none", "No holidays in this year yet."),
    ("holidays.add", "Add a holiday"),
    ("holidays.date", "Day"),
    ("holidays.add_button", "Add the holiday"),
    // employee_time_off.html
    ("employee_time_off.lede", "Their balances, each the sum of its ledger, and their requests with every answer."),
    ("employee_time_off.time_card", "Time card"),
    ("employee_time_off.balances", "Balances"),
    ("employee_time_off.ledger_of", "Ledger of"),
    ("employee_time_off.what", "What"),
    ("employee_time_off.balance_after", "Balance after"),
    ("employee_time_off.why", "Why"),
    ("employee_time_off.no_lines", "Nothing in this ledger yet."),
    ("employee_time_off.no_balances", "No type of time off keeps a balance (an accrual policy, set in Payroll settings)."),
    ("employee_time_off.requests", "Requests"),
    ("employee_time_off.status", "Status"),
    ("employee_time_off.history", "History"),
    ("employee_time_off.no_requests", "No requests in the half year before today or the year after."),
    ("employee_time_off.ask", "Ask for time off for this employee"),
    ("employee_time_off.ask_hint", "Whole days from the first day to the last (weekends and company holidays cost nothing), or hours of one day. Show the balance first to see what it would leave."),
    ("employee_time_off.hours_of_one_day", "Hours of one day (empty: whole days)"),
    ("employee_time_off.first_day", "First day"),
    ("employee_time_off.last_day", "Last day (empty: the first)"),
    ("employee_time_off.note", "Note"),
    ("employee_time_off.working_days", "Working days:"),
    ("employee_time_off.show_balance", "Show the balance"),
    ("employee_time_off.ask_button", "Ask"),
    ("employee_time_off.adjust", "Set a starting balance or adjust"),
    ("employee_time_off.adjust_hint", "A new line in the ledger with its reason, never a number changed in place; it is in the audit log."),
    ("employee_time_off.line_kind", "Line"),
    ("employee_time_off.starting", "Starting balance (brought in)"),
    ("employee_time_off.adjustment", "Adjustment (hours added, or taken away with a minus)"),
    ("employee_time_off.adjust_hours", "Hours (e.g. 40, 4.5, -8)"),
    ("employee_time_off.counts_from", "Counts from"),
    ("employee_time_off.reason", "Reason"),
    ("employee_time_off.save_line", "Add the line"),
    ("payroll_settings.time_off_types", "Time-off types"),
    ("payroll_settings.time_off_types_help", "Each type's hours are exported under its code in each payroll system's file, never as regular or overtime hours; a paid type without a code for a format stops that export until it is set. Unpaid time off is shown on the cards and exported nowhere. Holidays of the calendar are paid as the active holiday type."),
    ("payroll_settings.type_saved", "Time-off type saved."),
    ("payroll_settings.type_not_saved", "Time-off type not saved: see the messages beside its fields."),
    ("payroll_settings.add_a_type", "Add a type"),
    ("payroll_settings.paid", "paid"),
    ("payroll_settings.unpaid", "unpaid"),
    ("payroll_settings.inactive", "inactive"),
    ("payroll_settings.type_name", "Name"),
    ("payroll_settings.type_kind", "Kind"),
    ("payroll_settings.type_paid", "Paid"),
    ("payroll_settings.type_active", "Active (offered on the clock)"),
    ("payroll_settings.balance_and_accrual", "Balance and accrual"),
    ("payroll_settings.accrual", "Balance"),
    ("payroll_settings.accrual_none", "No balance kept"),
    ("payroll_settings.accrual_manual", "Kept, set by an admin (no accrual)"),
    ("payroll_settings.accrual_per_hour_worked", "Earned per hour worked"),
    ("payroll_settings.accrual_per_pay_period", "Earned each pay period"),
    ("payroll_settings.accrual_yearly_grant", "Granted each year"),
    ("payroll_settings.hours_earned", "Hours earned (per hour worked)"),
    ("payroll_settings.per_hours_worked", "For every so many hours worked"),
    ("payroll_settings.hours_per_period_or_year", "Hours each pay period, or each year"),
    ("payroll_settings.cap_hours", "Cap (hours; empty: none)"),
    ("payroll_settings.carry_over_hours", "Carried over at the year's turn (hours; empty: all)"),
    ("payroll_settings.negative_allowed", "The balance may go below zero"),
    ("payroll_settings.type_pay_codes", "Pay codes"),
    ("payroll_settings.adp_wfn_hours_code", "ADP Workforce Now hours code"),
    ("payroll_settings.adp_run_earnings_code", "ADP RUN earnings code"),
    ("payroll_settings.paychex_pay_component", "Paychex pay component"),
    ("payroll_settings.gusto_column", "Gusto column"),
    ("payroll_settings.quickbooks_payroll_item", "QuickBooks payroll item"),
    ("payroll_settings.add_the_type", "Add the type"),
    ("payroll_settings.save_the_type", "Save the type"),
    // page titles (the handlers)
    // the error pages (admin/mod.rs)
    ("error.not_found", "Not found"),
    ("error.not_found_message", "There is nothing here, or it belongs to another company."),
    ("error.not_allowed", "Not allowed"),
    ("error.sign_in", "Please sign in"),
    ("error.went_wrong", "Something went wrong"),
    ("error.went_wrong_message", "Something went wrong on the server. It has been logged; please try again."),
    ("error.did_not_work", "That did not work"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn templates() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/admin");
        let mut all: Vec<_> = std::fs::read_dir(&dir)
            .expect("templates/admin")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "html"))
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).expect("template")))
            .collect();
        all.sort();
        all
    }

    /// The keys named by `t("...")` in a text.
    fn keys_in(text: &str) -> Vec<String> {
        text.match_indices("t(\"")
            .filter(|(at, _)| *at == 0 || !text.as_bytes()[at - 1].is_ascii_alphanumeric() && text.as_bytes()[at - 1] != b'_')
            .filter_map(|(at, _)| text[at + 3..].split('"').next().map(str::to_owned))
            .collect()
    }

    /// The words of a template shown outside the catalogue: text between tags and the values of
    /// title, aria-label, placeholder and alt, with askama's `{{ }}`, `{% %}` and `{# #}` removed.
    fn loose_words(template: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut rest = template;
        let mut text = String::new();
        let flush = |text: &mut String, found: &mut Vec<String>| {
            let t = text.trim();
            if t.chars().any(|c| c.is_alphabetic()) && t != "clockface" {
                found.push(t.to_owned());
            }
            text.clear();
        };
        while let Some(c) = rest.chars().next() {
            if let Some(end) = ["{{", "{%", "{#"].iter().find(|o| rest.starts_with(**o)).map(|o| {
                let close = match *o {
                    "{{" => "}}",
                    "{%" => "%}",
                    _ => "#}",
                };
                rest.find(close).map_or(rest.len(), |i| i + 2)
            }) {
                // An askama piece separates words like a value does.
                flush(&mut text, &mut found);
                rest = &rest[end..];
            } else if rest.starts_with("<script") || rest.starts_with("<style") {
                let close = if rest.starts_with("<script") { "</script>" } else { "</style>" };
                flush(&mut text, &mut found);
                rest = &rest[rest.find(close).map_or(rest.len(), |i| i + close.len())..];
            } else if rest.starts_with("<!") {
                flush(&mut text, &mut found);
                rest = &rest[rest.find('>').map_or(rest.len(), |i| i + 1)..];
            } else if c == '<' {
                flush(&mut text, &mut found);
                // A tag: askama pieces may hold '>' (`{% if a > b %}`), so skip them while looking for its end.
                let mut i = 1;
                let bytes = rest.as_bytes();
                while i < bytes.len() && bytes[i] != b'>' {
                    // Bytes, not a str slice: `i` may stand inside a character such as “.
                    if bytes[i..].starts_with(b"{{") || bytes[i..].starts_with(b"{%") {
                        let close: &[u8] = if bytes[i..].starts_with(b"{{") { b"}}" } else { b"%}" };
                        i += bytes[i..].windows(2).position(|w| w == close).map_or(bytes.len() - i, |j| j + 2);
                    } else {
                        i += 1;
                    }
                }
                let tag = &rest[..i.min(rest.len())];
                for attribute in ["title=\"", "aria-label=\"", "placeholder=\"", "alt=\"", "data-confirm=\""] {
                    for (at, _) in tag.match_indices(attribute) {
                        let value = &tag[at + attribute.len()..];
                        let mut value_text = String::new();
                        let mut depth = 0;
                        let mut chars = value.char_indices().peekable();
                        while let Some((j, ch)) = chars.next() {
                            if value[j..].starts_with("{{") || value[j..].starts_with("{%") {
                                depth += 1;
                            } else if depth > 0 && (value[j..].starts_with("}}") || value[j..].starts_with("%}")) {
                                depth -= 1;
                                chars.next();
                                continue;
                            } else if depth == 0 && ch == '"' {
                                break;
                            }
                            if depth == 0 {
                                value_text.push(ch);
                            }
                        }
                        if value_text.chars().any(|c| c.is_alphabetic()) {
                            found.push(format!("{attribute}{value_text}"));
                        }
                    }
                }
                rest = &rest[(i + 1).min(rest.len())..];
            } else {
                text.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        flush(&mut text, &mut found);
        found
    }

    #[test]
    fn the_catalogue_has_each_key_once() {
        let mut seen = HashSet::new();
        for (key, text) in EN {
            assert!(seen.insert(key), "{key} is in the catalogue twice");
            assert!(!text.trim().is_empty(), "{key} has no text");
        }
    }

    #[test]
    fn every_key_a_template_uses_exists_and_every_key_is_used() {
        let mut used = HashSet::new();
        for (name, template) in templates() {
            for key in keys_in(&template) {
                assert!(ENGLISH.contains_key(key.as_str()), "{name} uses {key}, which the catalogue does not have");
                used.insert(key);
            }
        }
        // The error pages' and the titles' words are looked up by the code (`t(language, "…")`, `en("…")`).
        let code = [
            include_str!("mod.rs"),
            include_str!("account.rs"),
            include_str!("devices.rs"),
            include_str!("employees.rs"),
            include_str!("jobs.rs"),
            include_str!("payroll.rs"),
            include_str!("privacy.rs"),
            include_str!("review.rs"),
            include_str!("roles.rs"),
            include_str!("timecards.rs"),
            include_str!("timeoff_types.rs"),
            include_str!("users.rs"),
            include_str!("working.rs"),
        ]
        .concat();
        let unused: Vec<_> =
            EN.iter().map(|(k, _)| *k).filter(|k| *k != "missing" && !used.contains(*k) && !code.contains(&format!("\"{k}\""))).collect();
        assert!(unused.is_empty(), "keys nothing uses: {unused:?}");
    }

    #[test]
    fn no_template_shows_a_word_outside_the_catalogue() {
        for (name, template) in templates() {
            let loose = loose_words(&template);
            assert!(loose.is_empty(), "{name} shows words that are not from the catalogue: {loose:?}");
        }
    }

    #[test]
    fn the_scanner_finds_loose_words_in_text_and_attributes_but_not_in_askama() {
        let page =
            r#"<p class="x">Hello {{ name }}</p><a title="Go {{ x }}">{{ t("a.b") }}</a>{% if a > b %}<b>{{ t("c") }}</b>{% endif %}"#;
        assert_eq!(loose_words(page), vec!["Hello".to_owned(), "title=\"Go ".to_owned()]);
        assert_eq!(keys_in(page), vec!["a.b".to_owned(), "c".to_owned()]);
        assert!(loose_words(r#"<p>{{ t("a") }} · {{ n }}</p><option value="x">{{ t("b") }}</option>"#).is_empty());
    }
}
