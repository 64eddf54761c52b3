using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Extensions.Options;
using SendGrid;

namespace AbandonedCart.Activities.Channels;

/// <summary><c>Providers:SendGrid</c>.</summary>
public sealed class SendGridOptions : IProviderOptions
{
    public const string Section = "Providers:SendGrid";

    /// <summary>A secret: configuration or environment only (<c>Providers__SendGrid__ApiKey</c>).</summary>
    public string ApiKey { get; set; } = string.Empty;

    public string FromEmail { get; set; } = string.Empty;

    public string? FromName { get; set; }

    /// <summary>The dynamic template (<c>d-…</c>) that renders the cart.</summary>
    public string TemplateId { get; set; } = string.Empty;

    /// <summary>The unsubscribe group (ASM) the abandoned-cart emails belong to.</summary>
    public int UnsubscribeGroupId { get; set; }

    /// <summary>The Event Webhook verification key (base64 P-256 public key from Mail Settings); optional.</summary>
    public string? WebhookVerificationKey { get; set; }

    public string BaseUrl { get; set; } = "https://api.sendgrid.com";

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            yield return "ApiKey is required";
        }

        if (!EmailChannel.IsValidAddress(FromEmail))
        {
            yield return "FromEmail must be an email address";
        }

        if (!TemplateId.StartsWith("d-", StringComparison.Ordinal))
        {
            yield return "TemplateId must be a dynamic template id (d-…)";
        }

        if (UnsubscribeGroupId <= 0)
        {
            yield return "UnsubscribeGroupId is required";
        }

        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out _))
        {
            yield return "BaseUrl must be an absolute URL";
        }

        if (!string.IsNullOrEmpty(WebhookVerificationKey) && !SendGridEventWebhookVerifier.IsValidKey(WebhookVerificationKey))
        {
            yield return $"WebhookVerificationKey must be {SendGridEventWebhookVerifier.KeyFormat}";
        }
    }
}

/// <summary>Email through SendGrid v3 <c>mail/send</c> with a dynamic template that renders the cart.</summary>
/// <remarks>
/// The request goes through the SendGrid library's client (its URL, headers and response handling), but the v3 mail
/// body is written here with <see cref="Utf8JsonWriter"/>: the library's <c>SendGridMessage.Serialize</c> (Newtonsoft,
/// through object graphs and dictionaries) cost most of the sender's CPU. The JSON is the one the library wrote:
/// same members in the same order, nulls kept in the template data, decimals with at least one decimal place.
/// </remarks>
public sealed class SendGridEmailSender(HttpClient http, IOptions<SendGridOptions> options) : IChannelSender
{
    public const string Name = "sendgrid";

    // Escapes what Newtonsoft's EscapeHtml (the library's setting) escapes: quotes, <, >, &, ' and control characters;
    // other characters, accented letters included, stay as they are.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    private readonly SendGridOptions settings = options.Value;
    private readonly SendGridClient client = new(
        http, new SendGridClientOptions { ApiKey = options.Value.ApiKey, Host = options.Value.BaseUrl, HttpErrorAsException = false });

    public string Channel => Workflows.Channels.Email;

    public string Provider => Name;

    public async Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var email = message.Customer.Email;
        if (!EmailChannel.IsValidAddress(email))
        {
            throw ProviderErrors.Rejected(Name, "no valid email address", ProviderErrors.InvalidAddress, "email");
        }

        var body = MailJson(message, email, settings);
        var response = await ProviderErrors.CallAsync(
            Name, () => client.RequestAsync(BaseClient.Method.POST, body, urlPath: "mail/send", cancellationToken: cancellationToken), cancellationToken);

        // The library hands back the response content undisposed; release it so the connection returns to the pool.
        using var content = response.Body;
        if (!response.IsSuccessStatusCode)
        {
            var text = await content.ReadAsStringAsync(cancellationToken);
            var retryAfter = response.Headers.RetryAfter?.Delta;
            throw ProviderErrors.FromStatus(Name, (int)response.StatusCode, text, retryAfter, Classify, "email");
        }

        return new ProviderReceipt(Name, response.Headers.TryGetValues("X-Message-Id", out var ids) ? ids.FirstOrDefault() : null);
    }

    /// <summary>The v3 <c>mail/send</c> body: one personalization with the cart as dynamic template data, the
    /// message's custom args (echoed on every Event Webhook event, so an event finds its message-log row), the
    /// unsubscribe group, and click tracking off (our links already go through signed tracking URLs; SendGrid
    /// rewriting them again would hide our click).</summary>
    internal static string MailJson(OutboundMessage message, string email, SendGridOptions o)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("from");
            if (o.FromName is not null)
            {
                json.WriteString("name", o.FromName);
            }

            json.WriteString("email", o.FromEmail);
            json.WriteEndObject();

            json.WriteStartArray("personalizations");
            json.WriteStartObject();
            json.WriteStartArray("to");
            json.WriteStartObject();
            json.WriteString("email", email);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartObject("dynamic_template_data");
            json.WriteString("customer_id", message.Customer.Id);
            json.WriteStartArray("items");
            foreach (var item in message.Items)
            {
                json.WriteStartObject();
                json.WriteString("sku", item.Sku);
                json.WriteString("name", item.Name);
                WriteDecimal(json, "price", item.Price);
                json.WriteNumber("quantity", item.Quantity);
                json.WriteString("image_url", item.ImageUrl);
                json.WriteString("url", item.Url);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteDecimal(json, "cart_value", message.CartValue);
            json.WriteString("currency", message.Currency);
            json.WriteString("click_url", message.ClickUrl);
            json.WriteString("open_pixel_url", message.OpenPixelUrl);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();

            json.WriteString("template_id", o.TemplateId);
            json.WriteStartObject("custom_args");
            json.WriteString("message_id", message.MessageId.ToString(CultureInfo.InvariantCulture));
            json.WriteString("idempotency_key", message.IdempotencyKey);
            json.WriteString("journey", message.Journey);
            json.WriteString("step", message.Step.ToString(CultureInfo.InvariantCulture));
            json.WriteEndObject();
            json.WriteStartObject("asm");
            json.WriteNumber("group_id", o.UnsubscribeGroupId);
            json.WriteEndObject();
            json.WriteStartObject("tracking_settings");
            json.WriteStartObject("click_tracking");
            json.WriteBoolean("enable", false);
            json.WriteBoolean("enable_text", false);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // Newtonsoft writes a decimal with at least one decimal place (20m as 20.0); templates may show the number as sent.
    private static void WriteDecimal(Utf8JsonWriter json, string name, decimal value)
    {
        Span<byte> text = stackalloc byte[48];
        value.TryFormat(text, out var length, default, CultureInfo.InvariantCulture);
        if (text[..length].IndexOf((byte)'.') < 0)
        {
            ".0"u8.CopyTo(text[length..]);
            length += 2;
        }

        json.WritePropertyName(name);
        json.WriteRawValue(text[..length], skipInputValidation: true);
    }

    // SendGrid answers 400 with {"errors":[{"field":"personalizations.0.to.0.email","message":"Does not contain a valid address."}]}.
    private static string? Classify(int status, string body) => ProviderErrors.ReadJson(body, root =>
        root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
        && errors.EnumerateArray().Any(e => e.TryGetProperty("field", out var f)
            && f.GetString() is { } field && field.Contains(".to.", StringComparison.Ordinal) && field.EndsWith("email", StringComparison.Ordinal))
            ? ProviderErrors.InvalidAddress
            : null);
}

/// <summary>Verifies SendGrid's signed Event Webhook: ECDSA P-256/SHA-256 over the timestamp header followed by the raw body.</summary>
public sealed class SendGridEventWebhookVerifier : IDisposable
{
    public const string SignatureHeader = "X-Twilio-Email-Event-Webhook-Signature";
    public const string TimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp";

    private readonly ECDsa key = ECDsa.Create();

    /// <summary>What a malformed verification key is told apart by (never the key itself).</summary>
    public const string KeyFormat = "the base64 ECDSA P-256 public key (SubjectPublicKeyInfo) shown as \"Verification Key\" in SendGrid's Mail Settings, Event Webhook";

    /// <summary>Takes the base64 SubjectPublicKeyInfo shown as "Verification Key" in SendGrid's Mail Settings.</summary>
    public SendGridEventWebhookVerifier(string verificationKey) => key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(verificationKey), out _);

    /// <summary>True when <paramref name="verificationKey"/> is a base64 P-256 public key (SubjectPublicKeyInfo) and nothing more.</summary>
    public static bool IsValidKey(string? verificationKey)
    {
        if (string.IsNullOrWhiteSpace(verificationKey))
        {
            return false;
        }

        var bytes = new byte[verificationKey.Length];
        if (!Convert.TryFromBase64String(verificationKey.Trim(), bytes, out var length))
        {
            return false;
        }

        using var candidate = ECDsa.Create();
        try
        {
            candidate.ImportSubjectPublicKeyInfo(bytes.AsSpan(0, length), out var read);
            return read == length && candidate.KeySize == 256;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="signature"/> (base64 DER) signs <paramref name="timestamp"/> + <paramref name="payload"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> payload, string? signature, string? timestamp)
    {
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(timestamp))
        {
            return false;
        }

        var signed = new byte[Encoding.UTF8.GetByteCount(timestamp) + payload.Length];
        var written = Encoding.UTF8.GetBytes(timestamp, signed);
        payload.CopyTo(signed.AsSpan(written));
        try
        {
            return key.VerifyData(signed, Convert.FromBase64String(signature), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Replay guard: the timestamp header is within <paramref name="tolerance"/> of <paramref name="now"/>.</summary>
    public static bool IsRecent(string? timestamp, DateTimeOffset now, TimeSpan tolerance) =>
        long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
        && (now - DateTimeOffset.FromUnixTimeSeconds(Math.Min(seconds, DateTimeOffset.MaxValue.ToUnixTimeSeconds()))).Duration() <= tolerance;

    public void Dispose() => key.Dispose();
}
