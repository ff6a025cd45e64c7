{-# LANGUAGE BangPatterns #-}
-- |
-- Module      : System.Mesos.Internal.Wire
-- Description : A small protocol-buffers wire codec
--
-- Just enough of the protobuf wire format (proto2) to encode and decode the
-- records of "System.Mesos.Types": varints, 64-bit and 32-bit fixed values and
-- length-delimited fields. Decoding never fails on fields it was not asked
-- for: they are parsed (so the framing is checked) and ignored. Embedded
-- message fields that occur several times are merged, as protobuf requires, by
-- decoding the concatenation of their payloads.
module System.Mesos.Internal.Wire
  ( -- * Messages
    Message (..)
  , encodeMessage
  , encodeBuilder
  , decodeMessage
    -- * Wire values
  , WireValue (..)
  , Fields
  , parseFields
  , encodeWireFields
    -- * Encoding fields
  , varintField
  , int32Field
  , enumField
  , boolField
  , doubleField
  , bytesField
  , messageField
  , optional
  , repeated
    -- * Decoding fields
  , optBytes
  , reqBytes
  , repBytes
  , optVarint
  , reqVarint
  , repVarint
  , optEnum
  , reqEnum
  , optBool
  , optDouble
  , reqDouble
  , optMessage
  , reqMessage
  , repMessage
  , optSub
  , reqSub
  , repSub
  , subMessage
  , hasField
    -- * Varints
  , encodeVarint
  , decodeVarint
  ) where

import           Data.Bits                ((.&.), (.|.), shiftL, shiftR)
import           Data.ByteString          (ByteString)
import qualified Data.ByteString          as BS
import qualified Data.ByteString.Builder  as B
import qualified Data.ByteString.Lazy     as BL
import           Data.Int                 (Int32, Int64)
import           Data.Word                (Word32, Word64)
import           GHC.Float                (castWord64ToDouble)

-- | A record with a protobuf encoding.
class Message a where
  -- | The record's fields, serialized.
  encodeFields :: a -> B.Builder
  -- | Rebuild the record from a parsed message; 'Left' explains what is
  -- missing or malformed.
  decodeFields :: Fields -> Either String a

-- | Serialize a record to protobuf bytes.
encodeMessage :: Message a => a -> ByteString
encodeMessage = BL.toStrict . B.toLazyByteString . encodeFields

-- | Run an encoder of fields.
encodeBuilder :: B.Builder -> ByteString
encodeBuilder = BL.toStrict . B.toLazyByteString

-- | Parse protobuf bytes into a record. Unknown fields are skipped; a
-- truncated or malformed message gives 'Left' with an explanation.
decodeMessage :: Message a => ByteString -> Either String a
decodeMessage bytes = parseFields bytes >>= decodeFields

-- | One field's value as it appears on the wire.
data WireValue
  = VarintValue !Word64
  | Fixed64Value !Word64
  | BytesValue !ByteString
  | Fixed32Value !Word32
  | GroupValue
    -- ^ A deprecated group; its contents are skipped.
  deriving (Show, Eq)

-- | A parsed message: (field number, value) in wire order.
type Fields = [(Int, WireValue)]

-- | Encode an unsigned varint.
encodeVarint :: Word64 -> B.Builder
encodeVarint !n
  | n < 0x80 = B.word8 (fromIntegral n)
  | otherwise = B.word8 (fromIntegral (n .&. 0x7f) .|. 0x80) <> encodeVarint (n `shiftR` 7)

-- | Decode an unsigned varint at the start of the input, returning the rest.
decodeVarint :: ByteString -> Either String (Word64, ByteString)
decodeVarint = go 0 0
  where
    go :: Int -> Word64 -> ByteString -> Either String (Word64, ByteString)
    go !shift !acc input
      | shift >= 70 = Left "varint longer than 10 bytes"
      | otherwise = case BS.uncons input of
          Nothing -> Left "truncated varint"
          Just (byte, rest) ->
            let acc' = acc .|. (fromIntegral (byte .&. 0x7f) `shiftL` shift)
            in if byte .&. 0x80 == 0 then Right (acc', rest) else go (shift + 7) acc' rest

tag :: Int -> Int -> B.Builder
tag number wireType = encodeVarint (fromIntegral number `shiftL` 3 .|. fromIntegral wireType)

-- | An unsigned varint field (uint32, uint64).
varintField :: Int -> Word64 -> B.Builder
varintField number value = tag number 0 <> encodeVarint value

-- | A signed int32/int64 field: negative numbers are sign-extended to ten bytes.
int32Field :: Int -> Int -> B.Builder
int32Field number value = varintField number (fromIntegral (fromIntegral value :: Int64))

-- | An enum field (an int32 on the wire).
enumField :: Int -> Int -> B.Builder
enumField = int32Field

-- | A bool field.
boolField :: Int -> Bool -> B.Builder
boolField number value = varintField number (if value then 1 else 0)

-- | A double field (fixed 64-bit, little-endian).
doubleField :: Int -> Double -> B.Builder
doubleField number value = tag number 1 <> B.doubleLE value

-- | A string or bytes field.
bytesField :: Int -> ByteString -> B.Builder
bytesField number value =
  tag number 2 <> encodeVarint (fromIntegral (BS.length value)) <> B.byteString value

-- | An embedded message field.
messageField :: Message a => Int -> a -> B.Builder
messageField number = bytesField number . encodeMessage

-- | Serialize parsed fields again, in their order (a group's contents were
-- skipped when parsing, so a 'GroupValue' writes nothing).
encodeWireFields :: Fields -> B.Builder
encodeWireFields = foldMap field
  where
    field (number, value) = case value of
      VarintValue v -> varintField number v
      Fixed64Value v -> tag number 1 <> B.word64LE v
      BytesValue v -> bytesField number v
      Fixed32Value v -> tag number 5 <> B.word32LE v
      GroupValue -> mempty

-- | Encode a field only when present.
optional :: (a -> B.Builder) -> Maybe a -> B.Builder
optional = foldMap

-- | Encode every element (a non-packed repeated field).
repeated :: (a -> B.Builder) -> [a] -> B.Builder
repeated = foldMap

-- | Split a message into its fields, checking the framing of every one.
parseFields :: ByteString -> Either String Fields
parseFields = go []
  where
    go acc input
      | BS.null input = Right (reverse acc)
      | otherwise = do
          (number, value, rest) <- parseField input
          case value of
            Nothing -> Left ("unexpected end-group tag for field " ++ show number)
            Just v -> go ((number, v) : acc) rest

-- | One field; 'Nothing' for an end-group marker.
parseField :: ByteString -> Either String (Int, Maybe WireValue, ByteString)
parseField input = do
  (key, rest) <- decodeVarint input
  let number = fromIntegral (key `shiftR` 3) :: Int
      wireType = key .&. 7
  if key `shiftR` 3 == 0 || key `shiftR` 3 > 0x1fffffff
    then Left ("invalid field number " ++ show (key `shiftR` 3))
    else case wireType of
      0 -> do
        (v, rest') <- decodeVarint rest
        Right (number, Just (VarintValue v), rest')
      1 -> do
        (bytes, rest') <- takeExactly 8 rest
        Right (number, Just (Fixed64Value (littleEndian bytes)), rest')
      2 -> do
        (len, rest') <- decodeVarint rest
        if len > fromIntegral (BS.length rest')
          then Left ("field " ++ show number ++ " is truncated")
          else let (payload, rest'') = BS.splitAt (fromIntegral len) rest'
               in Right (number, Just (BytesValue payload), rest'')
      3 -> do
        rest' <- skipGroup number rest
        Right (number, Just GroupValue, rest')
      4 -> Right (number, Nothing, rest)
      5 -> do
        (bytes, rest') <- takeExactly 4 rest
        Right (number, Just (Fixed32Value (fromIntegral (littleEndian bytes))), rest')
      other -> Left ("invalid wire type " ++ show other ++ " for field " ++ show number)
  where
    takeExactly n bytes
      | BS.length bytes < n = Left "truncated fixed-width field"
      | otherwise = Right (BS.splitAt n bytes)
    littleEndian = BS.foldr' (\byte acc -> acc `shiftL` 8 .|. fromIntegral byte) 0
    skipGroup number bytes
      | BS.null bytes = Left ("unterminated group " ++ show number)
      | otherwise = do
          (inner, value, rest) <- parseField bytes
          case value of
            Nothing
              | inner == number -> Right rest
              | otherwise -> Left ("mismatched end-group tag " ++ show inner)
            Just _ -> skipGroup number rest

valuesOf :: Int -> Fields -> [WireValue]
valuesOf number fields = [v | (n, v) <- fields, n == number]

-- | Whether the field occurs at all.
hasField :: Int -> Fields -> Bool
hasField number = any ((== number) . fst)

lastMaybe :: [a] -> Maybe a
lastMaybe [] = Nothing
lastMaybe xs = Just (last xs)

wrongType :: Int -> String -> Either String a
wrongType number expected =
  Left ("field " ++ show number ++ ": expected " ++ expected ++ " on the wire")

asBytes :: Int -> WireValue -> Either String ByteString
asBytes _ (BytesValue b) = Right b
asBytes number _ = wrongType number "length-delimited bytes"

asVarint :: Int -> WireValue -> Either String Word64
asVarint _ (VarintValue v) = Right v
asVarint number _ = wrongType number "a varint"

-- | The last occurrence of a string/bytes field.
optBytes :: Int -> Fields -> Either String (Maybe ByteString)
optBytes number fields = traverse (asBytes number) (lastMaybe (valuesOf number fields))

-- | A required string/bytes field; @what@ names it in the error.
reqBytes :: String -> Int -> Fields -> Either String ByteString
reqBytes what number fields = optBytes number fields >>= required what number

-- | Every occurrence of a repeated string/bytes field.
repBytes :: Int -> Fields -> Either String [ByteString]
repBytes number fields = traverse (asBytes number) (valuesOf number fields)

-- | The last occurrence of a varint field.
optVarint :: Int -> Fields -> Either String (Maybe Word64)
optVarint number fields = traverse (asVarint number) (lastMaybe (valuesOf number fields))

-- | A required varint field.
reqVarint :: String -> Int -> Fields -> Either String Word64
reqVarint what number fields = optVarint number fields >>= required what number

-- | A repeated varint field, packed or not.
repVarint :: Int -> Fields -> Either String [Word64]
repVarint number fields = concat <$> traverse one (valuesOf number fields)
  where
    one (VarintValue v) = Right [v]
    one (BytesValue packed) = unpack packed
    one _ = wrongType number "a varint"
    unpack bytes
      | BS.null bytes = Right []
      | otherwise = do
          (v, rest) <- decodeVarint bytes
          (v :) <$> unpack rest

-- | An enum field as a signed number (any value is accepted).
optEnum :: Int -> Fields -> Either String (Maybe Int)
optEnum number fields = fmap toSigned <$> optVarint number fields
  where toSigned v = fromIntegral (fromIntegral v :: Int32)

-- | A required enum field.
reqEnum :: String -> Int -> Fields -> Either String Int
reqEnum what number fields = optEnum number fields >>= required what number

-- | A bool field.
optBool :: Int -> Fields -> Either String (Maybe Bool)
optBool number fields = fmap (/= 0) <$> optVarint number fields

-- | A double field.
optDouble :: Int -> Fields -> Either String (Maybe Double)
optDouble number fields = traverse asDouble (lastMaybe (valuesOf number fields))
  where
    asDouble (Fixed64Value w) = Right (castWord64ToDouble w)
    asDouble _ = wrongType number "a 64-bit fixed value"

-- | A required double field.
reqDouble :: String -> Int -> Fields -> Either String Double
reqDouble what number fields = optDouble number fields >>= required what number

-- | An embedded message; several occurrences are merged.
optMessage :: Message a => Int -> Fields -> Either String (Maybe a)
optMessage number fields = case valuesOf number fields of
  [] -> Right Nothing
  values -> do
    payloads <- traverse (asBytes number) values
    either (Left . nested) (Right . Just) (decodeMessage (BS.concat payloads))
  where nested err = "field " ++ show number ++ ": " ++ err

-- | A required embedded message.
reqMessage :: Message a => String -> Int -> Fields -> Either String a
reqMessage what number fields = optMessage number fields >>= required what number

-- | A repeated embedded message.
repMessage :: Message a => Int -> Fields -> Either String [a]
repMessage number fields = traverse decodeOne (valuesOf number fields)
  where
    decodeOne value = do
      payload <- asBytes number value
      either (\err -> Left ("field " ++ show number ++ ": " ++ err)) Right (decodeMessage payload)

-- | An embedded message as raw fields (for nested messages that have no record
-- of their own); several occurrences are merged.
optSub :: Int -> Fields -> Either String (Maybe Fields)
optSub number fields = case valuesOf number fields of
  [] -> Right Nothing
  values -> do
    payloads <- traverse (asBytes number) values
    either (\err -> Left ("field " ++ show number ++ ": " ++ err)) (Right . Just)
      (parseFields (BS.concat payloads))

-- | A required embedded message as raw fields.
reqSub :: String -> Int -> Fields -> Either String Fields
reqSub what number fields = optSub number fields >>= required what number

-- | A repeated embedded message as raw fields.
repSub :: Int -> Fields -> Either String [Fields]
repSub number fields = traverse one (valuesOf number fields)
  where
    one value = do
      payload <- asBytes number value
      either (\err -> Left ("field " ++ show number ++ ": " ++ err)) Right (parseFields payload)

-- | An embedded message given by its encoded fields.
subMessage :: Int -> B.Builder -> B.Builder
subMessage number = bytesField number . BL.toStrict . B.toLazyByteString

required :: String -> Int -> Maybe a -> Either String a
required what number = maybe (Left ("missing required field " ++ what ++ " (" ++ show number ++ ")")) Right
