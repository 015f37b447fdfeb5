// The newcomer's page: claim the credentials, enroll a virtual MFA device, say what to do next.
// The one-time token comes from the URL fragment (never sent to a server by the browser), is removed
// from the address bar at once, and leaves this page only inside POST bodies.
"use strict";

(() => {
  const STRINGS = {
    en: {
      pageTitle: "AWS account setup",
      brand: "AWS account setup",
      title: "Set up your AWS sign-in",
      progress1: "Your credentials",
      progress2: "MFA",
      progress3: "Sign in",
      nolinkTitle: "Open the link from your admin",
      nolinkText:
        "This page works only through the personal link your admin sent you. If you have not pressed " +
        "\"Show my credentials\" yet, open that link again, exactly as you received it. If you have, that " +
        "link is used up: to set up MFA, ask your admin for an MFA link (an address with /enroll# in it). " +
        "Otherwise ask your admin for a new link.",
      welcomeTitle: "Step 1: your credentials",
      welcomeText:
        "Your admin created an AWS account user for you. This page shows your user name and first password, " +
        "then helps you set up multi-factor authentication (MFA) with an app on your phone.",
      welcomeOnce:
        "The credentials can be shown only once. Have a password manager or a safe place ready, then press the button.",
      showCredentials: "Show my credentials",
      credentialsTitle: "Step 1: your credentials",
      credentialsSave:
        "Save these now: this page cannot show them again. Do not send them by chat or mail.",
      userName: "User name",
      password: "Password",
      consoleLink: "Console sign-in link",
      copy: "Copy",
      copyUserName: "Copy user name",
      copyPassword: "Copy password",
      copyConsoleLink: "Copy console sign-in link",
      copySecret: "Copy secret key",
      copied: "Copied.",
      copyFailed: "Copying did not work: select the text and copy it yourself.",
      downloadCsv: "Download credentials.csv",
      passwordChangeLater:
        "This is a first password: AWS asks you to choose your own the first time you sign in.",
      mfaNext: "Next, set up MFA. Without it, your user can do nothing in AWS.",
      toMfa: "Next: set up MFA",
      mfaPresent: "MFA is already set up for your user.",
      toDone: "Next: sign in",
      confirmSaved:
        "Did you save your password? Once you go on, this page cannot show it again.",
      savedYes: "Yes, I saved it",
      savedNo: "Not yet",
      passwordGone:
        "Your first password is no longer shown on this page. If you did not save it, ask your admin for " +
        "a new link. The admin's command:",
      mfaTitle: "Step 2: set up MFA",
      mfaIntro:
        "You need an authenticator app on your phone. It shows a new 6-digit code every 30 seconds; AWS " +
        "asks for one each time you sign in.",
      mfaApps:
        "For example Google Authenticator, Microsoft Authenticator, Authy or 1Password. Install one now if " +
        "you have none, then press the button.",
      startMfa: "Show the QR code",
      resumeNote:
        "Welcome back. Press the button for a new QR code. If you added this account to your app " +
        "before, delete that entry: only the new code will work.",
      scanTitle: "Scan the QR code",
      scanText: "In your authenticator app, add an account and scan this code.",
      qrAlt: "QR code to add your AWS account to an authenticator app",
      openInApp: "On this phone? Open it in your authenticator app instead",
      keyTitle: "Or type the key",
      keyText: "If you cannot scan, add the account by typing this secret key (spaces do not matter):",
      codesTitle: "Type two codes in a row",
      codesText:
        "Type the code your app shows now, wait until it changes, then type the new code.",
      code1: "First code",
      code2: "Next code",
      codesHint: "Each code has 6 digits.",
      verify: "Turn on MFA",
      doneTitle: "Step 3: sign in",
      doneIntro: "MFA is on. Finish with a first sign-in:",
      doneSignOut: "If you are signed in to the AWS console already, sign out.",
      doneOpen: "Open the console sign-in link:",
      doneSignIn:
        "Sign in with your user name and password (the password from step 1, or your own if you changed it).",
      doneCode: "When asked for an MFA code, type the code your authenticator app shows now.",
      doneNewPassword:
        "On your first sign-in, AWS asks you to choose a new password: pick a long one and keep it in a password manager.",
      doneLostPhone: "Lost or changed phone? Ask your admin to reset your MFA; you will get a new link.",
      terminalTitle: "Use AWS from your terminal",
      terminalIntro:
        "For the AWS CLI, the SDKs or Terraform. Sign in to the console once first, as above. You need " +
        "AWS CLI 2.32 or newer (aws --version shows yours).",
      terminalLogin:
        "aws login needs no access key: it opens the browser, where you sign in with your password and an " +
        "MFA code. The profile is named after your account, {profile}, never default:",
      copyCommands: "Copy the commands",
      copyProfile: "Copy the profile",
      terminalShadow:
        "If ~/.aws/credentials has keys under [{profile}], they silently win over aws login " +
        "(aws-cli#9869): delete that section or rename it.",
      terminalBridge:
        "Tools that cannot read an aws login profile yet (Terraform, some SDKs): add this profile to " +
        "~/.aws/config and use --profile {profile}-bridge with them.",
      terminalFallbackTitle: "If aws login does not work",
      terminalFallback:
        "Whether aws login hands the CLI an MFA session is not verified yet. If your commands are refused " +
        "(or your AWS CLI is older), use an access key with the iam-onboarding command instead. Signed in " +
        "to the console with MFA, create your access key (Security credentials, then Create access key; " +
        "keep only one). Then, in a copy of the iam-onboarding repository:",
      terminalFallbackAfter:
        "aws configure asks for the key. iam-onboarding configure shows the profiles and asks before it " +
        "writes ~/.aws/config; after that, AWS commands ask for an MFA code once every 8 hours. If " +
        "something does not work, iam-onboarding doctor says what and how to fix it.",
      working: "Working…",
      errorLinkExpired:
        "This link has expired or was already used. Ask your admin for a new link.",
      errorLinkOpened:
        "You already opened this link, so it cannot show your password again. To set up MFA, ask your " +
        "admin for an MFA link (an address with /enroll# in it). If you did not save your password, ask " +
        "for a new link instead.",
      errorTooManyCodes:
        "Too many wrong codes: this MFA setup link is used up. Ask your admin for a new MFA link (an " +
        "address with /enroll# in it).",
      errorEnrollmentExpired:
        "This MFA setup link has expired or was used up. Ask your admin for a new MFA link (an address " +
        "with /enroll# in it).",
      errorWrongCodes:
        "Those codes did not work. Wait until your app shows a new code, type it in the first box, then " +
        "wait for the next code and type it in the second box. Check that the app shows this account " +
        "(scanned from this page, not an older one).",
      triesLeft: "{n} tries left; after that you need a new MFA link from your admin.",
      triesLeftOne: "1 try left; after that you need a new MFA link from your admin.",
      triesUnknown: "After 5 wrong tries you need a new MFA link from your admin.",
      errorCodeFormat: "Type two codes of 6 digits each.",
      errorSameCodes:
        "The two codes must be different: wait until the app shows a new code, then type it in the second box.",
      errorNetwork:
        "Could not reach the server. Check your connection and try again. If it keeps failing, ask your " +
        "admin for a new link.",
      errorServer:
        "Something went wrong on our side. Try again in a minute; if it keeps failing, ask your admin for a new link.",
      csvSaved: "credentials.csv is in your downloads.",
    },
    ja: {
      pageTitle: "AWS アカウントの設定",
      brand: "AWS アカウントの設定",
      title: "AWS へのサインインを設定しましょう",
      progress1: "認証情報",
      progress2: "MFA",
      progress3: "サインイン",
      nolinkTitle: "管理者から届いたリンクを開いてください",
      nolinkText:
        "このページは、管理者から届いたあなた専用のリンクからのみ使えます。まだ「認証情報を表示する」を押して" +
        "いなければ、受け取ったリンクをそのままもう一度開いてください。すでに押した場合、そのリンクは使用済み" +
        "です。MFA を設定するには、管理者に MFA 設定リンク (/enroll# を含むアドレス) を依頼してください。" +
        "それ以外の場合は、管理者に新しいリンクを依頼してください。",
      welcomeTitle: "ステップ 1: 認証情報",
      welcomeText:
        "管理者があなたの AWS ユーザーを作成しました。このページでユーザー名と初期パスワードを確認し、" +
        "スマートフォンのアプリで多要素認証 (MFA) を設定します。",
      welcomeOnce:
        "認証情報は一度しか表示できません。パスワードマネージャーなど安全な保管場所を用意してから、ボタンを押してください。",
      showCredentials: "認証情報を表示する",
      credentialsTitle: "ステップ 1: 認証情報",
      credentialsSave:
        "今すぐ保存してください。このページでは二度と表示できません。チャットやメールで送らないでください。",
      userName: "ユーザー名",
      password: "パスワード",
      consoleLink: "コンソールのサインインリンク",
      copy: "コピー",
      copyUserName: "ユーザー名をコピー",
      copyPassword: "パスワードをコピー",
      copyConsoleLink: "コンソールのサインインリンクをコピー",
      copySecret: "シークレットキーをコピー",
      copied: "コピーしました。",
      copyFailed: "コピーできませんでした。テキストを選択して手動でコピーしてください。",
      downloadCsv: "credentials.csv をダウンロード",
      passwordChangeLater:
        "これは初期パスワードです。初めてサインインするときに、自分のパスワードに変更するよう求められます。",
      mfaNext: "次に MFA を設定します。MFA を設定するまで、AWS では何もできません。",
      toMfa: "次へ: MFA を設定する",
      mfaPresent: "あなたのユーザーには、すでに MFA が設定されています。",
      toDone: "次へ: サインイン",
      confirmSaved: "パスワードは保存しましたか？先に進むと、このページではもう表示できません。",
      savedYes: "保存しました",
      savedNo: "まだです",
      passwordGone:
        "初期パスワードは、このページにはもう表示されません。保存していない場合は、管理者に新しいリンクを" +
        "依頼してください。管理者が実行するコマンド:",
      mfaTitle: "ステップ 2: MFA の設定",
      mfaIntro:
        "スマートフォンに認証アプリが必要です。アプリには 30 秒ごとに新しい 6 桁のコードが表示され、" +
        "サインインのたびに AWS がそのコードを求めます。",
      mfaApps:
        "例: Google Authenticator、Microsoft Authenticator、Authy、1Password。まだ入っていない場合は今インストール" +
        "してから、ボタンを押してください。",
      startMfa: "QR コードを表示する",
      resumeNote:
        "おかえりなさい。ボタンを押すと新しい QR コードが表示されます。以前このアカウントをアプリに追加した" +
        "場合は、その項目を削除してください。新しいコードだけが使えます。",
      scanTitle: "QR コードを読み取る",
      scanText: "認証アプリでアカウントを追加し、このコードを読み取ってください。",
      qrAlt: "認証アプリに AWS アカウントを追加するための QR コード",
      openInApp: "このスマートフォンで見ている場合は、認証アプリで直接開く",
      keyTitle: "またはキーを入力する",
      keyText: "読み取れない場合は、次のシークレットキーを入力してアカウントを追加してください (空白は無視されます)。",
      codesTitle: "連続する 2 つのコードを入力する",
      codesText: "アプリに今表示されているコードを入力し、コードが切り替わるのを待ってから、新しいコードを入力してください。",
      code1: "1 つ目のコード",
      code2: "次のコード",
      codesHint: "コードはそれぞれ 6 桁の数字です。",
      verify: "MFA を有効にする",
      doneTitle: "ステップ 3: サインイン",
      doneIntro: "MFA が有効になりました。最後に、次の手順で一度サインインしてください。",
      doneSignOut: "すでに AWS コンソールにサインインしている場合は、サインアウトします。",
      doneOpen: "コンソールのサインインリンクを開きます。",
      doneSignIn:
        "ユーザー名とパスワード (ステップ 1 のパスワード、または変更済みなら自分のパスワード) でサインインします。",
      doneCode: "MFA コードを求められたら、認証アプリに今表示されているコードを入力します。",
      doneNewPassword:
        "初回サインイン時は新しいパスワードの設定を求められます。長いパスワードにして、パスワードマネージャーに保存してください。",
      doneLostPhone:
        "スマートフォンをなくした場合や機種変更した場合は、管理者に MFA のリセットを依頼してください。新しいリンクが届きます。",
      terminalTitle: "ターミナルから AWS を使う",
      terminalIntro:
        "AWS CLI、SDK、Terraform を使う場合の手順です。先に上の手順でコンソールに一度サインインしてください。" +
        "AWS CLI はバージョン 2.32 以降が必要です (aws --version で確認できます)。",
      terminalLogin:
        "aws login ならアクセスキーは不要です。ブラウザーが開くので、パスワードと MFA コードでサインインします。" +
        "プロファイル名は default ではなく、アカウント名の {profile} にします。",
      copyCommands: "コマンドをコピー",
      copyProfile: "プロファイルをコピー",
      terminalShadow:
        "~/.aws/credentials の [{profile}] にキーがあると、何も表示されないまま aws login より優先されます " +
        "(aws-cli#9869)。そのセクションは削除するか、名前を変えてください。",
      terminalBridge:
        "aws login のプロファイルをまだ読めないツール (Terraform や一部の SDK) を使う場合は、次のプロファイルを " +
        "~/.aws/config に追加し、そのツールでは --profile {profile}-bridge を指定してください。",
      terminalFallbackTitle: "aws login がうまくいかない場合",
      terminalFallback:
        "aws login で CLI に MFA のセッションが渡るかどうかは、まだ確認されていません。コマンドが拒否される場合 " +
        "(または AWS CLI が古い場合) は、代わりにアクセスキーと iam-onboarding コマンドを使います。MFA で" +
        "コンソールにサインインした状態でアクセスキーを作成し (「セキュリティ認証情報」の「アクセスキーを作成」。" +
        "有効なキーは 1 つだけにします)、iam-onboarding リポジトリのコピーで次を実行します。",
      terminalFallbackAfter:
        "aws configure でキーを入力します。iam-onboarding configure はプロファイルを表示し、確認してから " +
        "~/.aws/config に書き込みます。その後、AWS のコマンドが MFA コードを求めるのは 8 時間に 1 回です。" +
        "うまくいかないときは、iam-onboarding doctor が原因と直し方を表示します。",
      working: "処理中…",
      errorLinkExpired: "このリンクは有効期限が切れているか、すでに使われています。管理者に新しいリンクを依頼してください。",
      errorLinkOpened:
        "このリンクはすでに開かれているため、パスワードはもう表示できません。MFA を設定するには、管理者に " +
        "MFA 設定リンク (/enroll# を含むアドレス) を依頼してください。パスワードを保存していない場合は、" +
        "代わりに新しいリンクを依頼してください。",
      errorTooManyCodes:
        "間違ったコードの入力が多すぎたため、この MFA 設定リンクは使えなくなりました。管理者に新しい " +
        "MFA 設定リンク (/enroll# を含むアドレス) を依頼してください。",
      errorEnrollmentExpired:
        "この MFA 設定リンクは有効期限が切れているか、使用済みです。管理者に新しい MFA 設定リンク " +
        "(/enroll# を含むアドレス) を依頼してください。",
      errorWrongCodes:
        "コードが正しくありません。アプリに新しいコードが表示されるのを待って 1 つ目の欄に入力し、" +
        "次のコードに切り替わったら 2 つ目の欄に入力してください。アプリのアカウントが、古いものではなく" +
        "このページで読み取ったものか確認してください。",
      triesLeft: "あと {n} 回試せます。使い切ると、管理者に新しい MFA 設定リンクを依頼する必要があります。",
      triesLeftOne: "あと 1 回試せます。使い切ると、管理者に新しい MFA 設定リンクを依頼する必要があります。",
      triesUnknown: "5 回間違えると、管理者に新しい MFA 設定リンクを依頼する必要があります。",
      errorCodeFormat: "6 桁のコードを 2 つ入力してください。",
      errorSameCodes:
        "2 つ目の欄には、1 つ目とは別の新しいコードを入力してください。アプリのコードが切り替わるのを待ってから入力します。",
      errorNetwork:
        "サーバーに接続できませんでした。接続を確認してもう一度お試しください。何度も失敗する場合は、管理者に新しいリンクを依頼してください。",
      errorServer:
        "サーバー側で問題が発生しました。少し待ってから再度お試しください。何度も失敗する場合は、管理者に新しいリンクを依頼してください。",
      csvSaved: "credentials.csv をダウンロードしました。",
    },
  };

  const CSV_HEADER = ["User name", "Password", "Access key ID", "Secret access key", "Console login link"];

  const state = {
    lang: "en",
    token: "",
    enrollmentToken: "",
    credentials: null,
    // What the API said of the account (AccountFacts): console link, id, alias, region. Not a secret.
    account: null,
    userName: "",
    // Whether the password left this page in credentials.csv: then leaving step 1 asks nothing.
    passwordSaved: false,
    leaveTo: null, // the step that waits for "Yes, I saved it"
    // { keys, kind, near, n }: kept as keys so a language switch re-renders it; `near` names the box.
    message: null,
    busy: false,
    // The key of what the status line announces now, so that the end of a busy spell clears only its own.
    announced: "",
  };

  const $ = (id) => document.getElementById(id);

  // Where this tab is, so that a reload or a trip to the app store resumes it. sessionStorage belongs to
  // this tab alone and ends with it; the address bar and the history never see a token. The password and
  // the MFA seed are never kept: only the one-time tokens the page is still waiting to use.
  const SAVED = "iam-onboarding";

  function remember(entry) {
    try {
      if (entry) sessionStorage.setItem(SAVED, JSON.stringify(entry));
      else sessionStorage.removeItem(SAVED);
    } catch {
      // Storage refused (private mode, quota): the page still works, it only cannot resume.
    }
  }

  function recalled() {
    try {
      const entry = JSON.parse(sessionStorage.getItem(SAVED) || "null");
      return entry && typeof entry === "object" ? entry : null;
    } catch {
      return null;
    }
  }

  // The terminal profile is named after the account: its alias, else its id (never `default`).
  function profileName() {
    return state.account ? state.account.account_alias || state.account.account_id : "";
  }

  function t(key, n = 0) {
    const words = { n: String(n), profile: profileName() };
    return (STRINGS[state.lang][key] ?? STRINGS.en[key] ?? key).replace(/\{(\w+)\}/g, (_, w) => words[w] ?? "");
  }

  function preferredLanguage() {
    const languages = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    for (const tag of languages) {
      const base = String(tag || "").toLowerCase().split("-")[0];
      if (base in STRINGS) return base;
    }
    return "en";
  }

  function applyLanguage(lang) {
    state.lang = lang in STRINGS ? lang : "en";
    document.documentElement.lang = state.lang;
    document.title = t("pageTitle");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
    for (const el of document.querySelectorAll("[data-i18n-alt]")) el.setAttribute("alt", t(el.dataset.i18nAlt));
    for (const button of document.querySelectorAll(".lang-button")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
    }
    renderMessage();
  }

  // Messages show at the top of the page, or next to the form they are about (the code fields), so that
  // on a phone they appear where the person is looking.
  const MESSAGE_BOXES = ["message", "codes-message"];

  function renderMessage() {
    for (const id of MESSAGE_BOXES) {
      const box = $(id);
      const mine = state.message && state.message.near === id;
      box.hidden = !mine;
      // Japanese runs sentences together; English puts a space between them.
      const gap = state.lang === "ja" ? "" : " ";
      box.textContent = mine ? state.message.keys.map((key) => t(key, state.message.n)).join(gap) : "";
      if (mine) box.className = `message ${state.message.kind}`;
    }
  }

  function say(keys, { kind = "error", near = "message", n = 0 } = {}) {
    state.message = { keys: Array.isArray(keys) ? keys : [keys], kind, near, n };
    renderMessage();
    $(near).scrollIntoView({ block: "nearest" });
  }

  function clearMessage() {
    state.message = null;
    renderMessage();
  }

  function announce(key) {
    state.announced = key;
    $("status").textContent = t(key);
  }

  const SECTIONS = ["nolink", "welcome", "credentials", "mfa", "done"];
  const STEP_OF = { nolink: 0, welcome: 1, credentials: 1, mfa: 2, done: 3 };

  function show(id, { focus = true } = {}) {
    for (const name of SECTIONS) $(name).hidden = name !== id;
    for (const li of document.querySelectorAll("#progress li")) {
      const step = Number(li.dataset.step);
      if (step === STEP_OF[id]) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
      li.classList.toggle("done", step < STEP_OF[id]);
    }
    // Move keyboard and screen-reader focus to the new step's heading.
    if (focus) $(id).querySelector("h2").focus();
  }

  class NetworkError extends Error {}

  async function post(path, body) {
    let response;
    try {
      // Relative path: deployed, the API sits under a stage prefix.
      response = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
    } catch (error) {
      throw new NetworkError(String(error));
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    return { status: response.status, data, code: data && data.error ? data.error.code : "" };
  }

  async function busyWhile(button, work) {
    if (state.busy) return;
    state.busy = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    announce("working");
    try {
      await work();
    } catch (error) {
      // Said next to the form the button belongs to, where the person is looking.
      const near = button.closest("form") ? "codes-message" : "message";
      if (error instanceof NetworkError) say("errorNetwork", { near });
      else {
        say("errorServer", { near });
        throw error;
      }
    } finally {
      state.busy = false;
      button.disabled = false;
      button.removeAttribute("aria-busy");
      if (state.announced === "working") announce("");
      // Disabling the button threw keyboard focus to the page body: give it back if nothing took it.
      if (document.activeElement === document.body && button.offsetParent !== null) button.focus();
    }
  }

  // What to tell the person when a call fails. A link the server refuses (used, expired, unknown or
  // mangled in transit) needs a new link whatever the status; only the codes are theirs to fix.
  function refused(reply) {
    return reply.status >= 400 && reply.status < 500 && reply.status !== 429;
  }

  function failure(reply, { expired, invalid = expired }) {
    if (reply.code === "invalid_mfa_codes") return "errorWrongCodes";
    if (reply.status === 400 && reply.code === "invalid_request") return invalid;
    return refused(reply) ? expired : "errorServer";
  }

  // A button the person can no longer use goes, and with it every instruction that points at it.
  function drop(buttonId) {
    $(buttonId).hidden = true;
    for (const el of document.querySelectorAll(`[data-about="${buttonId}"]`)) el.hidden = true;
  }

  // What may be kept for a reload: the one-time token still to use and the account's public facts;
  // never the password or the MFA seed.
  function accountOf(data) {
    const { console_url, account_id, account_alias, region } = data;
    return { console_url, account_id, account_alias, region };
  }

  // Step 1 -------------------------------------------------------------------------------------------

  async function showCredentials() {
    const reply = await post("onboarding/credentials", { token: state.token });
    if (reply.status !== 200) {
      say(reply.code === "link_already_opened" ? "errorLinkOpened" : failure(reply, { expired: "errorLinkExpired" }));
      if (refused(reply)) {
        drop("show-credentials");
        remember(null);
      }
      return;
    }
    clearMessage();
    const c = reply.data;
    state.credentials = c;
    state.account = accountOf(c);
    state.userName = c.user_name;
    state.token = ""; // spent
    // From here on a reload cannot bring the password back: a resumed tab says so (`claimed`).
    const kept = { account: state.account, userName: c.user_name, claimed: true };
    $("user-name").textContent = c.user_name;
    $("password").textContent = c.password;
    $("console-url").textContent = c.console_url;
    $("console-url").href = c.console_url;
    if (c.enrollment) {
      state.enrollmentToken = c.enrollment.token;
      remember({ ...kept, step: "mfa", token: c.enrollment.token });
      $("mfa-next").hidden = false;
      $("mfa-present").hidden = true;
    } else {
      remember({ ...kept, step: "done" });
      $("mfa-next").hidden = true;
      $("mfa-present").hidden = false;
    }
    show("credentials");
  }

  function csvField(value) {
    const text = String(value ?? "");
    // A spreadsheet runs a cell starting with = + - @ tab or CR as a formula. OWASP's CSV-injection
    // advice: prefix such a cell with ' (read as "this is text") and quote it. Only a user name can
    // start so; passwords start with a letter, so the password cell is always the exact password.
    if (/^[=+\-@\t\r]/.test(text)) return `"'${text.replace(/"/g, '""')}"`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }

  function credentialsCsv(c) {
    // The column layout of the file the IAM console offers; this user has no access keys.
    const row = [c.user_name, c.password, "", "", c.console_url];
    return `${CSV_HEADER.map(csvField).join(",")}\r\n${row.map(csvField).join(",")}\r\n`;
  }

  function downloadCsv() {
    if (!state.credentials) return;
    // Built here, never fetched: the password makes no second trip over the network.
    const blob = new Blob([credentialsCsv(state.credentials)], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = "credentials.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    state.passwordSaved = true;
    announce("csvSaved");
  }

  // Leaving step 1: the next step, once the person says the password is saved (the CSV says so too).
  function leaveCredentials(next) {
    if (state.passwordSaved) {
      next();
      return;
    }
    state.leaveTo = next;
    for (const button of document.querySelectorAll(".leave-credentials")) button.parentElement.hidden = true;
    $("confirm-saved").hidden = false;
    $("confirm-saved-text").focus();
  }

  function answerSaved(saved) {
    $("confirm-saved").hidden = true;
    $(state.enrollmentToken ? "mfa-next" : "mfa-present").hidden = false;
    if (saved) {
      state.passwordSaved = true;
      state.leaveTo();
    } else $("password").parentElement.querySelector("button.copy").focus();
  }

  async function copyFrom(id) {
    const el = $(id);
    const value = el.dataset.value || el.textContent;
    try {
      await navigator.clipboard.writeText(value);
      announce("copied");
    } catch {
      const range = document.createRange();
      range.selectNodeContents(el);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      announce("copyFailed");
    }
  }

  // Step 2 -------------------------------------------------------------------------------------------

  async function startMfa() {
    const reply = await post("onboarding/mfa", { token: state.enrollmentToken });
    if (reply.status !== 200) {
      say(failure(reply, { expired: "errorEnrollmentExpired" }));
      if (refused(reply)) {
        drop("start-mfa");
        remember(null);
      }
      return;
    }
    clearMessage();
    const m = reply.data;
    state.account = accountOf(m);
    // Coming back after this point needs a fresh QR code: the seed is never kept in the browser.
    remember({ ...recalled(), step: "mfa", token: state.enrollmentToken, account: state.account, started: true });
    // Shown as an image, never inserted as markup: an image cannot run script.
    $("qr").src = m.qr_data_uri;
    $("otpauth").href = m.otpauth_uri;
    $("secret").dataset.value = m.secret;
    $("secret").textContent = m.secret.match(/.{1,4}/g).join(" ");
    drop("start-mfa");
    $("mfa-setup").hidden = false;
    $("code1").focus();
  }

  function readCode(id) {
    return $(id).value.replace(/\s+/g, "");
  }

  async function verifyCodes() {
    const code1 = readCode("code1");
    const code2 = readCode("code2");
    // Checked here first so a typo does not use up one of the five tries the server allows.
    if (!/^\d{6}$/.test(code1) || !/^\d{6}$/.test(code2)) {
      say("errorCodeFormat", { near: "codes-message" });
      $(/^\d{6}$/.test(code1) ? "code2" : "code1").focus();
      return;
    }
    if (code1 === code2) {
      say("errorSameCodes", { near: "codes-message" });
      $("code2").value = "";
      $("code2").focus();
      return;
    }
    const reply = await post("onboarding/mfa/verify", { token: state.enrollmentToken, code1, code2 });
    if (reply.status !== 200) {
      $("code1").value = "";
      $("code2").value = "";
      if (reply.status === 410) {
        $("mfa-setup").hidden = true;
        remember(null);
        say(reply.code === "too_many_wrong_codes" ? "errorTooManyCodes" : "errorEnrollmentExpired");
        return;
      }
      $("code1").focus();
      const key = failure(reply, { expired: "errorEnrollmentExpired", invalid: "errorCodeFormat" });
      if (key === "errorWrongCodes") {
        // The API counts the tries as data; the page says it in the person's language.
        const n = reply.data.error.tries_left;
        const tries = !Number.isInteger(n) ? "triesUnknown" : n === 1 ? "triesLeftOne" : "triesLeft";
        say([key, tries], { near: "codes-message", n });
      } else say(key, { near: "codes-message" });
      return;
    }
    clearMessage();
    state.enrollmentToken = "";
    remember({ ...recalled(), step: "done", token: undefined, started: undefined });
    showDone();
  }

  // Step 3 -------------------------------------------------------------------------------------------

  function showDone({ focus = true } = {}) {
    const consoleUrl = state.account ? state.account.console_url : "";
    const link = $("done-console-url");
    link.textContent = consoleUrl;
    link.href = consoleUrl || "#";
    link.parentElement.hidden = !consoleUrl;
    showTerminal();
    show("done", { focus });
  }

  // The API this page belongs to (deployed, under a stage prefix): what `iam-onboarding doctor` asks.
  function apiBase() {
    return window.location.origin + window.location.pathname.replace(/\/(onboard|enroll)?\/?$/, "");
  }

  // The commands for this account, built from the API's data: the prose around them is translated.
  function showTerminal() {
    $("terminal").hidden = !state.account;
    if (!state.account) return;
    const p = profileName();
    const region = state.account.region;
    $("terminal-login").textContent = [
      "aws --version",
      `aws configure set region ${region} --profile ${p}`,
      `aws login --profile ${p}`,
      `aws sts get-caller-identity --profile ${p}`,
    ].join("\n");
    $("terminal-bridge").textContent = [
      `[profile ${p}-bridge]`,
      `region = ${region}`,
      `credential_process = aws configure export-credentials --profile ${p} --format process`,
    ].join("\n");
    $("terminal-key").textContent = [
      "pipx install ./cli",
      `aws configure --profile ${p}-long-term`,
      `iam-onboarding configure --profile ${p} --region ${region}`,
      `export IAM_ONBOARDING_URL=${apiBase()}`,
      `iam-onboarding doctor --profile ${p}`,
    ].join("\n");
    applyLanguage(state.lang); // the prose names the profile too
  }

  // A tab resumed after the claim has lost the password: say so, and what the admin can do about it.
  function showPasswordGone() {
    $("reissue-command").textContent = `iam-onboarding users reissue ${state.userName}`;
    $("password-gone").hidden = false;
  }

  // Start --------------------------------------------------------------------------------------------

  function start() {
    for (const button of document.querySelectorAll(".lang-button")) {
      button.addEventListener("click", () => applyLanguage(button.dataset.lang));
    }
    for (const button of document.querySelectorAll("button.copy")) {
      button.addEventListener("click", () => copyFrom(button.dataset.copy));
    }
    // busyWhile has told the person already; what it re-throws is a bug, for the console.
    const run = (button, work) => busyWhile(button, work).catch((error) => console.error(error));
    $("show-credentials").addEventListener("click", (e) => run(e.currentTarget, showCredentials));
    $("download-csv").addEventListener("click", downloadCsv);
    $("to-mfa").addEventListener("click", () =>
      leaveCredentials(() => {
        clearMessage();
        show("mfa");
      }),
    );
    $("to-done").addEventListener("click", () => leaveCredentials(() => showDone()));
    $("saved-yes").addEventListener("click", () => answerSaved(true));
    $("saved-no").addEventListener("click", () => answerSaved(false));
    $("start-mfa").addEventListener("click", (e) => run(e.currentTarget, startMfa));
    $("verify").addEventListener("submit", (e) => {
      e.preventDefault();
      run($("verify-button"), verifyCodes);
    });

    // Pasting a link into a tab that already shows this page changes only the fragment, which loads
    // nothing: start over as if the link had been opened afresh.
    window.addEventListener("hashchange", () => {
      if (window.location.hash.length > 1) window.location.reload();
    });

    applyLanguage(preferredLanguage());

    // Take the token out of the address bar before anything else can see it (history, screenshots,
    // bookmarks). Nothing is claimed on load: chat unfurlers and mail scanners open links too.
    let token = window.location.hash.replace(/^#/, "");
    try {
      token = decodeURIComponent(token);
    } catch {
      // Not percent-encoded after all: send it as it is and let the server judge it.
    }
    if (token) window.history.replaceState(null, "", window.location.pathname + window.location.search);
    const enrolling = /\/enroll\/?$/.test(window.location.pathname);
    // A link in the address bar starts afresh; without one, the tab resumes where it was.
    if (token) remember(enrolling ? { step: "mfa", token } : { step: "welcome", token });
    const saved = recalled() || {};
    state.account = saved.account && typeof saved.account === "object" ? saved.account : null;
    state.userName = typeof saved.userName === "string" ? saved.userName : "";
    if (saved.claimed && saved.step !== "welcome") showPasswordGone();
    if (saved.step === "welcome" && saved.token) {
      state.token = saved.token;
      show("welcome", { focus: false });
    } else if (saved.step === "mfa" && saved.token) {
      state.enrollmentToken = saved.token;
      $("resume-note").hidden = !saved.started;
      show("mfa", { focus: false });
    } else if (saved.step === "done") showDone({ focus: false });
    else show("nolink", { focus: false });
  }

  start();
})();
