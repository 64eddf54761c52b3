using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AbandonedCart.Activities.Channels;

/// <summary>The short texts that push, SMS and LINE put around the cart (email renders a SendGrid template instead).</summary>
public static class MessageText
{
    public static string Title(OutboundMessage message) => "You left something in your cart";

    /// <summary>"Trail shoes and 2 more (129.90 EUR) are still in your cart."</summary>
    public static string Body(OutboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var first = message.Items.Count > 0 ? message.Items[0].Name : "Your items";
        var more = message.Items.Count > 1 ? $" and {message.Items.Count - 1} more" : string.Empty;
        var value = message.CartValue > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({message.CartValue:0.00} {message.Currency})") : string.Empty;
        return $"{first}{more}{value} {(message.Items.Count > 1 ? "are" : "is")} still in your cart.";
    }

    /// <summary>The first item image, for rich push and MMS.</summary>
    public static string? Image(OutboundMessage message) => message?.Items.Select(i => i.ImageUrl).FirstOrDefault(u => !string.IsNullOrEmpty(u));

    /// <summary>Where a tap goes: the signed tracking link, else the first item's page.</summary>
    public static string? Link(OutboundMessage message) => message?.ClickUrl ?? message?.Items.Select(i => i.Url).FirstOrDefault(u => !string.IsNullOrEmpty(u));

    /// <summary>A UUID derived from our idempotency key (name-based, RFC 9562 version 5), so a retried activity sends
    /// the same provider idempotency key (LINE <c>X-Line-Retry-Key</c>, APNs <c>apns-id</c>).</summary>
    public static Guid IdempotencyUuid(string idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(idempotencyKey);
        var name = Encoding.UTF8.GetBytes(idempotencyKey);
        var input = new byte[Namespace.Length + name.Length];
        Namespace.CopyTo(input, 0);
        name.CopyTo(input, Namespace.Length);
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 version 5 prescribes; this is an identifier, not a signature.
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>
    /// A 32-character tag derived from our idempotency key (SHA-256, base64url, truncated), for the providers' collapse
    /// features: a retried send replaces the earlier copy instead of standing beside it. It fits every provider's limit:
    /// web push <c>Topic</c> (at most 32 characters of the URL-safe base64 alphabet, RFC 8030 §5.4), APNs
    /// <c>apns-collapse-id</c> (at most 64 bytes), FCM <c>collapse_key</c> and notification <c>tag</c>, Push Kit <c>tag</c>.
    /// </summary>
    public static string CollapseId(string idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(idempotencyKey);
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..32];
    }

    // A fixed namespace for our keys (RFC 9562 §5.5: any UUID the application owns).
    private static readonly byte[] Namespace = Guid.Parse("5b0c2f8e-4a8c-4d53-9a59-7c6f0f2b6e11").ToByteArray(bigEndian: true);
}
